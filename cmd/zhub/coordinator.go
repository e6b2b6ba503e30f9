package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubstore"
	"github.com/zhubhq/zhub/ws"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// networkConfig turns the [zigbee] section into what a driver forms with.
func networkConfig(cfg config.Config) (zigbee.NetworkConfig, error) {
	key, generate, err := cfg.NetworkKey()
	if err != nil {
		return zigbee.NetworkConfig{}, err
	}
	nc := zigbee.NetworkConfig{
		Channel:     zigbee.Channel(cfg.Zigbee.Channel),
		PANID:       zigbee.PANID(cfg.Zigbee.PANID),
		ExtPANID:    zigbee.ExtPANID(cfg.Zigbee.ExtendedPANID),
		Key:         zigbee.NetworkKey(key),
		GenerateKey: generate,
	}
	if !generate && nc.Key.IsWellKnown() {
		return nc, fmt.Errorf("zigbee.network_key: the configured key is a published default key; anyone nearby could decrypt the network (use \"generate\")")
	}
	return nc, nil
}

// watchHub follows the hub's events: it keeps /health current and closes
// d.ready at the first network outcome (up, or down with a reason) so
// READY=1 is never sent before the daemon knows what it runs on. The hub
// itself logs joins, interviews and leaves.
func (d *daemon) watchHub(ctx context.Context, sub *hub.Subscription, log *slog.Logger) error {
	defer sub.Close()
	var readyOnce sync.Once
	signalReady := func() { readyOnce.Do(func() { close(d.ready) }) }
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.C():
			if !ok {
				return nil
			}
			e, ok := ev.(hub.NetworkChanged)
			if !ok {
				continue
			}
			if e.Up {
				d.health.Set("coordinator", ws.StateOK, nil)
				d.health.SetDetail("coordinator", "channel", int(e.Info.Channel))
				d.health.SetDetail("coordinator", "pan_id", e.Info.PANID.String())
				d.health.SetDetail("coordinator", "extended_pan_id", e.Info.ExtPANID.String())
				d.health.SetDetail("coordinator", "ieee", e.Info.IEEE.String())
				d.health.SetDetail("coordinator", "firmware", e.Info.Firmware.Product+" "+e.Info.Firmware.Revision)
				log.Info("zigbee network up", "event", "network_up", "channel", int(e.Info.Channel),
					"pan_id", e.Info.PANID.String(), "formed", e.Info.Formed, "firmware", e.Info.Firmware.Product)
			} else {
				d.health.Set("coordinator", ws.StateDegraded, e.Err)
				log.Warn("zigbee network down", "event", "network_down", "err", e.Err)
			}
			signalReady()
		}
	}
}

// startCoordinator starts the configured coordinator under g.
func (d *daemon) startCoordinator(ctx context.Context, g *errgroup.Group) error {
	log := d.log.With("module", "coordinator")
	nc, err := networkConfig(d.cfg)
	if err != nil {
		return err
	}
	c, desc, err := d.newCoordinator(ctx, g, nc)
	if err != nil {
		return err
	}
	if c == nil {
		if rep := d.health.Report(""); rep.Components["coordinator"].State == ws.StateStarting {
			d.health.Set("coordinator", ws.StateDisabled, errors.New(desc))
		}
		log.Warn("coordinator disabled", "event", "component_disabled", "reason", desc)
		close(d.ready)
		return nil
	}
	log.Info("coordinator starting", "event", "component_starting", "on", desc)
	h, err := hub.New(hub.Config{Coordinator: c, Store: hubstore.Store{S: d.store}, Logger: d.log.With("module", "hub")})
	if err != nil {
		return err
	}
	d.hub = h
	sub := h.Subscribe(64)
	if d.simNet != nil {
		psub := h.Subscribe(256)
		g.Go(func() error { return d.pairSimDefaults(ctx, h, d.simNet, psub, d.log.With("module", "sim")) })
	}
	g.Go(func() error { return c.Run(ctx) })
	g.Go(func() error { return h.Run(ctx) })
	g.Go(func() error { return d.watchHub(ctx, sub, log) })
	return nil
}

// newCoordinator builds the driver for [serial] adapter. It returns a nil
// Coordinator with a reason when the adapter cannot run in this build.
func (d *daemon) newCoordinator(ctx context.Context, g *errgroup.Group, nc zigbee.NetworkConfig) (zigbee.Coordinator, string, error) {
	cfg := d.cfg
	backup := filepath.Join(cfg.DataDir, "coordinator_backup.json")
	switch cfg.Serial.Adapter {
	case config.AdapterSim:
		// The embedded default: the real ZNP driver against an emulated
		// Z-Stack dongle in this process, through the same bytes as a serial
		// line. The dongle keeps its NV in the data directory, as a real one
		// keeps it in flash.
		state := filepath.Join(cfg.DataDir, "sim-dongle.json")
		scfg := sim.Config{StatePath: state, Devices: sim.DefaultDevices(), Logger: d.log.With("module", "sim")}
		if v, ok := simEZSPVersion(os.Getenv("ZHUB_SIM_NCP")); ok {
			// The same virtual network behind an emulated EmberZNet NCP and
			// the EZSP driver, so the end-to-end tests run on both dongles.
			net, err := sim.NewEZSP(scfg, sim.EZSPConfig{Version: v})
			if err != nil {
				return nil, "", fmt.Errorf("emulated dongle: %w", err)
			}
			g.Go(func() error { return net.Run(ctx) })
			d.simNet = net
			drv, err := ezsp.New(ezsp.Config{Open: net.OpenEZSP, Network: nc, BackupPath: backup, Logger: d.log.With("module", "ezsp")})
			if err != nil {
				return nil, "", err
			}
			return drv, fmt.Sprintf("emulated EmberZNet NCP, EZSP v%d (zigbee/sim, state %s)", v, state), nil
		}
		net, err := sim.New(scfg)
		if err != nil {
			return nil, "", fmt.Errorf("emulated dongle: %w", err)
		}
		g.Go(func() error { return net.Run(ctx) })
		d.simNet = net
		drv, err := znp.New(znp.Config{Open: net.OpenZNP, Network: nc, BackupPath: backup, Logger: d.log.With("module", "znp")})
		if err != nil {
			return nil, "", err
		}
		return drv, "emulated Z-Stack dongle (zigbee/sim, state " + state + ")", nil
	case config.AdapterZNP:
		pc := zigbee.PortConfig{Path: cfg.Serial.Port, Baud: cfg.Serial.Baud, RTSCTS: cfg.Serial.RTSCTS}
		drv, err := znp.New(znp.Config{
			Open:       func(ctx context.Context) (io.ReadWriteCloser, error) { return zigbee.OpenPort(ctx, pc) },
			Network:    nc,
			BackupPath: backup,
			Logger:     d.log.With("module", "znp"),
		})
		if err != nil {
			return nil, "", err
		}
		return drv, "Z-Stack dongle at " + cfg.Serial.Port, nil
	case config.AdapterEZSP:
		pc := zigbee.PortConfig{Path: cfg.Serial.Port, Baud: cfg.Serial.Baud, RTSCTS: cfg.Serial.RTSCTS}
		drv, err := ezsp.New(ezsp.Config{
			Open:       func(ctx context.Context) (io.ReadWriteCloser, error) { return zigbee.OpenPort(ctx, pc) },
			Network:    nc,
			BackupPath: backup,
			Logger:     d.log.With("module", "ezsp"),
			// Sticks without RTS/CTS use software flow control.
			ASH: ash.Config{XONXOFF: !cfg.Serial.RTSCTS},
		})
		if err != nil {
			return nil, "", err
		}
		return drv, "EmberZNet (EZSP) dongle at " + cfg.Serial.Port, nil
	}
	return nil, "", fmt.Errorf("serial.adapter %q is not supported", cfg.Serial.Adapter)
}

// simEZSPVersion reads ZHUB_SIM_NCP: "ezsp" or "ezsp13" (EmberZNet 7.4),
// "ezsp14" (8.x) select the emulated EmberZNet NCP for adapter = "sim";
// empty or "znp" keep the emulated Z-Stack dongle.
func simEZSPVersion(s string) (uint8, bool) {
	switch s {
	case "ezsp", "ezsp13":
		return 13, true
	case "ezsp14":
		return 14, true
	}
	return 0, false
}
