package hub

import (
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// checkAvailability runs on the Run goroutine every AvailabilityInterval
// (interfaces.md §A.8): battery devices silent for PassiveTimeout go
// offline; mains-powered devices silent for ActiveTimeout are pinged (a
// read of Basic zclVersion) one at a time, and go offline when the ping
// fails. Any message from a device brings it back online. After a failed
// ping the next one waits ActiveTimeout × 2^failures (at most ×32).
func (h *Hub) checkAvailability() {
	now := h.now()
	h.mu.Lock()
	var ping []target
	var eps []zigbee.Endpoint
	for _, d := range h.devs {
		if d.disabled || d.interviewing {
			continue
		}
		silent := now.Sub(d.lastSeen)
		if !d.mains() {
			if d.available && silent >= h.cfg.PassiveTimeout {
				d.available = false
				h.bus.publish(AvailabilityChanged{Device: d.name, IEEE: d.ieee, Available: false})
			}
			continue
		}
		if silent < h.cfg.ActiveTimeout || now.Before(d.nextPing) {
			continue
		}
		ping = append(ping, h.targetOf(d))
		ep := zigbee.Endpoint(1)
		if es := appEndpoints(d.endpoints); len(es) > 0 {
			ep = es[0].ID
		}
		eps = append(eps, ep)
	}
	if h.pinging || len(ping) == 0 || h.runCtx == nil {
		h.mu.Unlock()
		return
	}
	h.pinging = true
	h.mu.Unlock()
	ctx := h.runCtx
	h.wg.Go(func() {
		defer func() {
			h.mu.Lock()
			h.pinging = false
			h.mu.Unlock()
		}()
		for i, t := range ping {
			if ctx.Err() != nil {
				return
			}
			attempts := 2
			if t.offline {
				attempts = 1
			}
			var err error
			for range attempts {
				t.offline = false
				if _, err = h.readAttrs(ctx, t, "availability ping", eps[i], zcl.ClusterBasic, zcl.AttrBasicZCLVersion); err == nil {
					break
				}
			}
			if err == nil || ctx.Err() != nil {
				continue
			}
			h.mu.Lock()
			if d := h.devs[t.ieee]; d != nil && h.now().Sub(d.lastSeen) >= h.cfg.ActiveTimeout {
				d.pingFails++
				d.nextPing = h.now().Add(h.cfg.ActiveTimeout * time.Duration(1<<min(d.pingFails, 5)))
				if d.available {
					d.available = false
					h.bus.publish(AvailabilityChanged{Device: d.name, IEEE: d.ieee, Available: false})
					h.log.Info("device offline", "event", "device_offline", "device", d.name, "ieee", d.ieee.String(), "err", err)
				}
			}
			h.mu.Unlock()
		}
	})
}
