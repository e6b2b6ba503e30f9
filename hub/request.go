package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
	"github.com/zhubhq/zhub/zigbee/zdo"
)

// waitKey identifies the answer to a ZCL request: the device, the cluster
// and the transaction sequence number the answer copies.
type waitKey struct {
	ieee    zigbee.IEEE
	cluster zigbee.ClusterID
	tsn     uint8
}

// expect registers a waiter before the request is sent (the answer can
// arrive before Send returns).
func (h *Hub) expect(k waitKey) chan zcl.Frame {
	ch := make(chan zcl.Frame, 1)
	h.wmu.Lock()
	h.waiters[k] = ch
	h.nwaiters.Add(1)
	h.wmu.Unlock()
	return ch
}

func (h *Hub) unexpect(k waitKey) {
	h.wmu.Lock()
	if _, ok := h.waiters[k]; ok {
		delete(h.waiters, k)
		h.nwaiters.Add(-1)
	}
	h.wmu.Unlock()
}

// deliver hands a frame to its waiter, if any.
func (h *Hub) deliver(ieee zigbee.IEEE, c zigbee.ClusterID, f zcl.Frame) {
	k := waitKey{ieee, c, f.TSN}
	h.wmu.Lock()
	ch, ok := h.waiters[k]
	if ok {
		delete(h.waiters, k)
		h.nwaiters.Add(-1)
	}
	h.wmu.Unlock()
	if ok {
		f.Payload = append([]byte(nil), f.Payload...) // the message buffer is not ours to keep
		ch <- f
	}
}

// nextTSN returns a ZCL transaction sequence number not waited on for this
// device and cluster.
func (h *Hub) nextTSN(ieee zigbee.IEEE, c zigbee.ClusterID) uint8 {
	for range 256 {
		t := uint8(h.tsn.Add(1))
		h.wmu.Lock()
		_, busy := h.waiters[waitKey{ieee, c, t}]
		h.wmu.Unlock()
		if !busy {
			return t
		}
	}
	return uint8(h.tsn.Add(1))
}

// target is what a request needs to know about its device.
type target struct {
	ieee     zigbee.IEEE
	nwk      zigbee.NWK
	name     string
	offline  bool
	lastSeen time.Time
}

func (h *Hub) targetOf(d *device) target {
	return target{ieee: d.ieee, nwk: d.nwk, name: d.name, offline: !d.available, lastSeen: d.lastSeen}
}

// zclRequest sends a ZCL frame to a device endpoint and, when wait is
// set, returns the answer with the same TSN (default response or the
// command's own response). The frame's TSN is assigned here and direction
// is client to server. Errors are *CommandError.
func (h *Hub) zclRequest(ctx context.Context, t target, op string, ep zigbee.Endpoint, c zigbee.ClusterID, f zcl.Frame, wait bool) (zcl.Frame, error) {
	f.TSN = h.nextTSN(t.ieee, c)
	f.Direction = zcl.ClientToServer
	f.DisableDefaultResponse = !wait
	k := waitKey{t.ieee, c, f.TSN}
	var ch chan zcl.Frame
	if wait {
		ch = h.expect(k)
		defer h.unexpect(k)
	}
	aps := zigbee.APSFrame{Dst: zigbee.Unicast(t.nwk), DstEndpoint: ep, SrcEndpoint: h.cfg.Endpoint,
		Profile: zigbee.ProfileHA, Cluster: c, Payload: f.Encode()}
	if err := h.c.Send(ctx, aps); err != nil {
		return zcl.Frame{}, h.commandError(ctx, t, op, err)
	}
	if !wait {
		return zcl.Frame{}, nil
	}
	timer := time.NewTimer(h.cfg.CommandTimeout)
	defer timer.Stop()
	select {
	case rsp := <-ch:
		return rsp, nil
	case <-timer.C:
		return zcl.Frame{}, &CommandError{Device: t.name, Op: op, Kind: ErrTimeout,
			Err: fmt.Errorf("no answer within %v", h.cfg.CommandTimeout), Offline: t.offline, LastSeen: t.lastSeen}
	case <-ctx.Done():
		return zcl.Frame{}, ctx.Err()
	}
}

// commandError classifies a coordinator error.
func (h *Hub) commandError(ctx context.Context, t target, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	kind := ErrNotDelivered
	switch {
	case errors.Is(err, zigbee.ErrTimeout):
		kind = ErrTimeout
	case errors.Is(err, zigbee.ErrNotRunning), errors.Is(err, zigbee.ErrNetworkDown), errors.Is(err, zigbee.ErrCoordinatorReset):
		kind = ErrNotRunning
	case errors.Is(err, zdo.ErrStatus), errors.Is(err, zcl.ErrStatus):
		kind = ErrRejected
	}
	return &CommandError{Device: t.name, Op: op, Kind: kind, Err: err, Offline: t.offline, LastSeen: t.lastSeen}
}

// checkStatus turns a default response or a command response carrying a
// status into an error.
func checkStatus(t target, op string, rsp zcl.Frame) error {
	var st zcl.Status
	switch {
	case rsp.IsGlobal(zcl.CmdDefaultResponse):
		dr, err := zcl.ParseDefaultResponse(rsp.Payload)
		if err != nil {
			return &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
		}
		st = dr.Status
	case rsp.IsGlobal(zcl.CmdWriteAttributesResponse):
		wr, err := zcl.ParseWriteAttributesResponse(rsp.Payload)
		if err != nil {
			return &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
		}
		if err := wr.Err(); err != nil {
			return &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
		}
		return nil
	case rsp.Type == zcl.FrameCluster && len(rsp.Payload) >= 1:
		st = zcl.Status(rsp.Payload[0]) // lock/unlock door responses: status first
	default:
		return nil
	}
	if st != zcl.StatusSuccess {
		return &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: fmt.Errorf("ZCL status %v", st)}
	}
	return nil
}

// readAttrs reads attributes of one cluster and returns the response
// records. The response also flows through the radio path, which updates
// the state cache before this returns.
func (h *Hub) readAttrs(ctx context.Context, t target, op string, ep zigbee.Endpoint, c zigbee.ClusterID, attrs ...zcl.AttributeID) ([]zcl.ReadRecord, error) {
	rsp, err := h.zclRequest(ctx, t, op, ep, c, zcl.NewGlobal(0, zcl.CmdReadAttributes, zcl.ReadAttributes{Attributes: attrs}), true)
	if err != nil {
		return nil, err
	}
	if !rsp.IsGlobal(zcl.CmdReadAttributesResponse) {
		if err := checkStatus(t, op, rsp); err != nil {
			return nil, err
		}
		return nil, &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: fmt.Errorf("unexpected answer %v", rsp)}
	}
	r, err := zcl.ParseReadAttributesResponse(rsp.Payload)
	if err != nil {
		return nil, &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
	}
	return r.Records, nil
}

// zdoRequest sends a ZDP request and decodes the response.
func (h *Hub) zdoRequest(ctx context.Context, t target, op string, m zdo.Message) (zdo.Message, error) {
	tsn := uint8(h.zdoTSN.Add(1))
	rctx, cancel := context.WithTimeout(ctx, h.cfg.CommandTimeout)
	defer cancel()
	raw, err := h.c.ZDORequest(rctx, t.nwk, m.Cluster(), zdo.Encode(tsn, m))
	if err != nil {
		if ctx.Err() == nil && rctx.Err() != nil {
			return nil, &CommandError{Device: t.name, Op: op, Kind: ErrTimeout, Err: rctx.Err(), Offline: t.offline, LastSeen: t.lastSeen}
		}
		return nil, h.commandError(ctx, t, op, err)
	}
	_, rsp, err := zdo.Decode(zdo.ResponseCluster(m.Cluster()), raw)
	if err != nil {
		return nil, &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
	}
	if r, ok := rsp.(zdo.Response); ok {
		if err := r.Err(); err != nil {
			return nil, &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
		}
	}
	return rsp, nil
}
