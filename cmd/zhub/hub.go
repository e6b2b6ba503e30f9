package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// simDefaultNames are the friendly names of the embedded default's
// virtual devices (sim.DefaultDevices order); the spare light is left for
// a real `zhub pair`.
var simDefaultNames = []string{"living_room_lamp", "kitchen_light", "coffee_plug", "bedroom_sensor", "front_door", "hallway_remote"}

// simPairedSetting marks a store whose embedded default was paired once,
// so later starts never pair or rename anything again.
const simPairedSetting = "sim.default_paired"

// pairSimDefaults pairs the embedded default on first start, as if a
// person had pressed each virtual device's button during `zhub pair`: it
// opens joining, names each device once its interview succeeds, closes
// joining, and then presses the spare light's button so that the next
// permit join pairs it. It never fails the daemon: problems are logged.
func (d *daemon) pairSimDefaults(ctx context.Context, h *hub.Hub, n *sim.Network, sub *hub.Subscription, log *slog.Logger) error {
	defer sub.Close()
	select {
	case <-h.Ready():
	case <-ctx.Done():
		return nil
	}
	if v, err := d.store.Setting(ctx, simPairedSetting); err == nil && v != "" {
		return nil
	}
	if len(h.Devices()) > 0 { // a store from before this marker existed
		_ = d.store.SetSetting(ctx, simPairedSetting, "existing")
		return nil
	}
	for !h.Status().NetworkUp {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.C():
		}
	}
	start := time.Now()
	defs := sim.DefaultDevices()
	names := map[zigbee.IEEE]string{}
	for i, name := range simDefaultNames {
		names[defs[i].IEEE] = name
		if err := n.Press(ctx, defs[i].IEEE); err != nil {
			log.Warn("embedded default: cannot press a virtual device's button", "event", "sim_pair_failed", "ieee", defs[i].IEEE.String(), "err", err)
		}
	}
	log.Info("embedded default: pairing the virtual devices", "event", "sim_pair_start", "devices", len(names))
	if err := h.PermitJoin(ctx, hub.MaxPermitJoin, ""); err != nil {
		log.Warn("embedded default: permit join failed", "event", "sim_pair_failed", "err", err)
		return nil
	}
	var retries sync.WaitGroup
	defer retries.Wait()
	retried := map[zigbee.IEEE]int{}
	deadline := time.NewTimer(5 * time.Minute)
	defer deadline.Stop()
	for {
		pending := 0
		for _, dev := range h.Devices() {
			name, ours := names[dev.IEEE]
			if !ours {
				continue
			}
			switch {
			case dev.Interview.State == hub.InterviewSuccessful && dev.FriendlyName == dev.IEEE.String():
				if err := h.Rename(ctx, dev.IEEE.String(), name); err != nil {
					log.Warn("embedded default: rename failed", "event", "sim_pair_failed", "device", name, "err", err)
				}
			case dev.Interview.State == hub.InterviewFailed && retried[dev.IEEE] < 3:
				retried[dev.IEEE]++
				id := dev.IEEE.String()
				retries.Go(func() { _ = h.Interview(ctx, id) })
				pending++
			case dev.Interview.State != hub.InterviewSuccessful:
				pending++
			}
		}
		if done := len(h.Devices()); pending == 0 && done >= len(names) {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			log.Warn("embedded default: not every virtual device paired in time", "event", "sim_pair_incomplete")
			return nil
		case _, ok := <-sub.C():
			if !ok {
				return nil
			}
		}
	}
	if err := h.PermitJoin(ctx, 0, ""); err != nil {
		log.Warn("embedded default: closing permit join failed", "event", "sim_pair_failed", "err", err)
	}
	// The spare light joins at the next permit join, like a device whose
	// button was pressed and that keeps looking for a network.
	if err := n.Press(ctx, defs[6].IEEE); err != nil {
		log.Warn("embedded default: cannot press the spare light's button", "event", "sim_pair_failed", "err", err)
	}
	if err := d.store.SetSetting(ctx, simPairedSetting, time.Now().UTC().Format(time.RFC3339)); err != nil && ctx.Err() == nil {
		log.Warn("embedded default: cannot record the pairing", "event", "sim_pair_failed", "err", err)
	}
	log.Info("embedded default: virtual devices paired", "event", "sim_paired", "elapsed_ms", float64(time.Since(start).Microseconds())/1000)
	return nil
}
