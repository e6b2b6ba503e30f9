package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zdo"
)

func errorf(format string, args ...any) error { return fmt.Errorf("hub: "+format, args...) }

// MaxPermitJoin is the longest permit-join window one call opens
// (Zigbee2MQTT's 254 s; "forever" does not exist since Zigbee 3.0).
const MaxPermitJoin = 254 * time.Second

// Rename gives a device a new friendly name (from may be the current name
// or the IEEE address). Names are unique (ErrDuplicateName) and must suit
// MQTT topics (ErrInvalidName). The new name is stored before Rename
// returns; DeviceRenamed is published.
func (h *Hub) Rename(ctx context.Context, from, to string) error {
	if err := validName(to); err != nil {
		return err
	}
	h.mu.Lock()
	d, err := h.lookupLocked(from)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	old := d.name
	if old == to {
		h.mu.Unlock()
		return nil
	}
	if other := h.byName[to]; other != nil {
		h.mu.Unlock()
		return errorf("rename %s to %q: %w (%s has it)", old, to, ErrDuplicateName, other.ieee)
	}
	if a, perr := zigbee.ParseIEEE(to); perr == nil && len(to) >= 16 && a != d.ieee && h.devs[a] != nil {
		h.mu.Unlock()
		return errorf("rename %s to %q: %w (the IEEE address of another device)", old, to, ErrDuplicateName)
	}
	if g := h.groupByNameLocked(to); g != nil {
		h.mu.Unlock()
		return errorf("rename %s to %q: %w (group %d has it)", old, to, ErrDuplicateName, g.id)
	}
	delete(h.byName, old)
	d.name = to
	h.byName[to] = d
	h.p.markDevice(d.ieee)
	h.bus.publish(DeviceRenamed{From: old, To: to, IEEE: d.ieee})
	if h.memberOfAnyLocked(d.ieee) {
		h.bus.publish(GroupsChanged{}) // members are listed by name
	}
	h.mu.Unlock()
	h.log.Info("device renamed", "event", "device_renamed", "ieee", d.ieee.String(), "from", old, "to", to)
	if err := h.p.sync(ctx); err != nil {
		return errorf("rename %s to %q: renamed, but not stored: %w", old, to, err)
	}
	return nil
}

// Remove removes a device. Without force it first asks the device to
// leave the network (ZDO Mgmt_Leave_req) and fails, keeping the device, if
// it does not answer (sleepy devices often do not: retry after waking it,
// or use force). With force the record is deleted without talking to the
// device, which keeps the network key until it is factory reset.
func (h *Hub) Remove(ctx context.Context, name string, force bool) error {
	h.mu.Lock()
	d, err := h.lookupLocked(name)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	t := h.targetOf(d)
	h.mu.Unlock()
	if !force {
		if err := h.checkRunning(t.name, "remove"); err != nil {
			return fmt.Errorf("%w (use force to delete it anyway)", err)
		}
		if _, err := h.zdoRequest(ctx, t, "remove (leave request)", zdo.MgmtLeaveReq{IEEE: t.ieee}); err != nil {
			return fmt.Errorf("%w (use force to delete it anyway)", err)
		}
	}
	h.mu.Lock()
	d = h.devs[t.ieee]
	if d == nil {
		h.mu.Unlock()
		return nil
	}
	delete(h.devs, d.ieee)
	delete(h.byName, d.name)
	if h.byNWK[d.nwk] == d {
		delete(h.byNWK, d.nwk)
	}
	h.p.markDelete(d.ieee)
	h.bus.publish(DeviceRemoved{Device: d.name, IEEE: d.ieee})
	inGroups := h.dropDeviceLocked(d.ieee)
	if inGroups {
		h.bus.publish(GroupsChanged{})
	}
	h.mu.Unlock()
	h.log.Info("device removed", "event", "device_removed", "ieee", t.ieee.String(), "device", t.name, "force", force)
	if err := h.p.sync(ctx); err != nil {
		return errorf("remove %s: removed, but not from the store: %w", t.name, err)
	}
	if inGroups {
		if err := h.saveGroups(ctx); err != nil {
			return errorf("remove %s: removed, but its group memberships not from the store: %w", t.name, err)
		}
	}
	return nil
}

// PermitJoin opens the network for joining for d (at most MaxPermitJoin; 0
// closes it). via names a router (friendly name or IEEE address) that
// alone admits devices; "" means every router and the coordinator.
// PermitJoinChanged follows once the coordinator confirms.
func (h *Hub) PermitJoin(ctx context.Context, d time.Duration, via string) error {
	d = min(max(d, 0), MaxPermitJoin)
	nwk := zigbee.NWK(0)
	if via != "" {
		h.mu.Lock()
		dev, err := h.lookupLocked(via)
		if err == nil && dev.typ != "Router" && dev.typ != "Coordinator" {
			err = errorf("permit join via %s: %w: it is a %s, not a router", dev.name, ErrInvalidValue, dev.typ)
		}
		if err != nil {
			h.mu.Unlock()
			return err
		}
		nwk, via = dev.nwk, dev.name
		h.mu.Unlock()
	}
	if err := h.checkRunning("coordinator", "permit join"); err != nil {
		return err
	}
	h.mu.Lock()
	h.pjVia = via
	h.mu.Unlock()
	if err := h.c.PermitJoin(ctx, d, nwk); err != nil {
		return h.commandError(ctx, target{name: "coordinator"}, "permit join", err)
	}
	h.log.Info("permit join", "event", "permit_join", "duration_s", int(d.Seconds()), "via", via)
	return nil
}

// Backup reads the coordinator's network parameters and keys (Open
// Coordinator Backup). The result contains the network key: never log it.
func (h *Hub) Backup(ctx context.Context) (*zigbee.Backup, error) {
	b, err := h.c.Backup(ctx)
	if err != nil {
		return nil, errorf("backup: %w", err)
	}
	return b, nil
}

// Restore writes a backup to the coordinator, which restarts its network.
func (h *Hub) Restore(ctx context.Context, b *zigbee.Backup) error {
	if b == nil {
		return errorf("restore: %w: no backup", ErrInvalidValue)
	}
	if err := h.c.Restore(ctx, b); err != nil {
		return errorf("restore: %w", err)
	}
	return nil
}

// History returns recorded values of one device's property in [from, to)
// (zero times leave an end open; an empty property means all), oldest
// first, at most limit (<= 0: the store's maximum). Values not yet written
// are flushed first, so a change that was published is included.
func (h *Hub) History(ctx context.Context, name, property string, from, to time.Time, limit int) ([]HistoryPoint, error) {
	h.mu.Lock()
	d, err := h.lookupLocked(name)
	if err != nil {
		h.mu.Unlock()
		return nil, err
	}
	ieee := d.ieee
	h.mu.Unlock()
	if h.cfg.Store == nil {
		return nil, nil
	}
	if err := h.p.sync(ctx); err != nil && !errors.Is(err, context.Canceled) {
		h.log.Warn("history flush failed", "event", "store_flush_failed", "err", err)
	}
	pts, err := h.cfg.Store.History(ctx, ieee, property, from, to, limit)
	if err != nil {
		return nil, errorf("history of %s: %w", name, err)
	}
	return pts, nil
}

// Sync writes every pending change (registry, state, history) to the store
// and returns when it is committed.
func (h *Hub) Sync(ctx context.Context) error { return h.p.sync(ctx) }
