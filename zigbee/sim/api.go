package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// CoordinatorInfo is a snapshot of the emulated coordinator.
type CoordinatorInfo struct {
	IEEE       zigbee.IEEE
	State      uint8 // device state, 9 = running coordinator
	Formed     bool  // NV holds a network
	PANID      zigbee.PANID
	ExtPANID   zigbee.ExtPANID
	Channel    zigbee.Channel
	PermitJoin bool
	Endpoints  []uint8 // registered with AF_REGISTER since the last reset
}

// Coordinator returns the coordinator's current state.
func (n *Network) Coordinator(ctx context.Context) (CoordinatorInfo, error) {
	var ci CoordinatorInfo
	err := n.call(ctx, func() {
		ci.IEEE, ci.State = n.ieee(), n.state
		if nb := n.nib(); nb.formed() {
			ci.Formed, ci.PANID, ci.ExtPANID, ci.Channel = true, nb.panID(), nb.extPANID(), nb.channel()
		}
		ci.PermitJoin = n.permitOpen()
		for _, e := range n.eps {
			ci.Endpoints = append(ci.Endpoints, e.id)
		}
	})
	return ci, err
}

// AddDevice creates a virtual device (not joined yet) and returns its
// address.
func (n *Network) AddDevice(ctx context.Context, spec DeviceSpec) (zigbee.IEEE, error) {
	var a zigbee.IEEE
	var err error
	if cerr := n.call(ctx, func() {
		var d *device
		d, err = n.addDevice(spec)
		if err == nil {
			a = d.ieee
		}
	}); cerr != nil {
		return 0, cerr
	}
	return a, err
}

// Devices lists every virtual device.
func (n *Network) Devices(ctx context.Context) ([]DeviceInfo, error) {
	var out []DeviceInfo
	err := n.call(ctx, func() {
		for _, d := range n.devices {
			out = append(out, d.info(n.member(d)))
		}
	})
	return out, err
}

// Device returns one virtual device.
func (n *Network) Device(ctx context.Context, a zigbee.IEEE) (DeviceInfo, error) {
	var in DeviceInfo
	err := n.withDevice(ctx, a, func(d *device) error {
		in = d.info(n.member(d))
		return nil
	})
	return in, err
}

func (n *Network) withDevice(ctx context.Context, a zigbee.IEEE, fn func(d *device) error) error {
	var err error
	if cerr := n.call(ctx, func() {
		d := n.deviceByIEEE(a)
		if d == nil {
			err = fmt.Errorf("sim: device %v: %w", a, ErrUnknownDevice)
			return
		}
		err = fn(d)
	}); cerr != nil {
		return cerr
	}
	return err
}

// ResolveDevice finds a device by "0x" + 16 hex digits (IEEE) or by its
// NWK address ("0x1234" or decimal).
func (n *Network) ResolveDevice(ctx context.Context, s string) (zigbee.IEEE, error) {
	t := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	if len(t) > 4 || strings.Contains(s, ":") {
		a, err := zigbee.ParseIEEE(s)
		if err != nil {
			return 0, fmt.Errorf("sim: device %q: %w", s, err)
		}
		return a, n.withDevice(ctx, a, func(*device) error { return nil })
	}
	base := 10
	if strings.HasPrefix(strings.ToLower(s), "0x") {
		base = 16
	}
	v, err := strconv.ParseUint(t, base, 16)
	if err != nil {
		return 0, fmt.Errorf("sim: device %q: %w", s, err)
	}
	var a zigbee.IEEE
	if cerr := n.call(ctx, func() {
		for _, d := range n.devices {
			if d.nwk == zigbee.NWK(v) && d.joined {
				a = d.ieee
				return
			}
		}
	}); cerr != nil {
		return 0, cerr
	}
	if a == 0 {
		return 0, fmt.Errorf("sim: device %q: %w", s, ErrUnknownDevice)
	}
	return a, nil
}

// Press presses the device's button: an unjoined device looks for an open
// network and joins as soon as permit join is open; a sleepy member wakes
// up and polls.
func (n *Network) Press(ctx context.Context, a zigbee.IEEE) error {
	return n.withDevice(ctx, a, func(d *device) error {
		if n.member(d) {
			n.wake(d)
			return nil
		}
		d.pressed = true
		n.tryJoins()
		return nil
	})
}

// WaitJoined blocks until the device is a member of the network (returning
// at once if it already is; otherwise once it announced itself) and returns
// its NWK address.
func (n *Network) WaitJoined(ctx context.Context, a zigbee.IEEE) (zigbee.NWK, error) {
	ch := make(chan zigbee.NWK, 1)
	err := n.withDevice(ctx, a, func(d *device) error {
		if n.member(d) {
			ch <- d.nwk
			return nil
		}
		n.joinWait[a] = append(n.joinWait[a], ch)
		return nil
	})
	if err != nil {
		return 0, err
	}
	select {
	case nwk := <-ch:
		return nwk, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-n.done:
		return 0, fmt.Errorf("sim: %w", ErrStopped)
	}
}

// Leave makes the device leave the network by itself (ZDO_LEAVE_IND).
func (n *Network) Leave(ctx context.Context, a zigbee.IEEE) error {
	return n.withDevice(ctx, a, func(d *device) error {
		if !n.member(d) {
			d.pressed = false
			return fmt.Errorf("sim: leave %v: %w", a, ErrNotJoined)
		}
		n.leave(d, false)
		return nil
	})
}

// SetOnOff switches a light or plug locally (as its physical button would);
// the change is reported if reporting asks for it.
func (n *Network) SetOnOff(ctx context.Context, a zigbee.IEEE, on bool) error {
	return n.withDevice(ctx, a, func(d *device) error {
		e := d.ep(1)
		if e.attrs[clOnOff] == nil {
			return fmt.Errorf("sim: on/off %v: %w", a, ErrUnsupported)
		}
		v := int64(0)
		if on {
			v = 1
		}
		n.setAttr(d, e, clOnOff, 0, zval{n: v})
		n.plugLoad(d, e)
		return nil
	})
}

// SetContact opens or closes a door contact: the IAS zone status changes
// and a Zone Status Change Notification goes to the coordinator.
func (n *Network) SetContact(ctx context.Context, a zigbee.IEEE, open bool) error {
	return n.withDevice(ctx, a, func(d *device) error {
		e := d.ep(1)
		if e.attrs[clIASZone] == nil {
			return fmt.Errorf("sim: contact %v: %w", a, ErrUnsupported)
		}
		if !n.member(d) {
			return fmt.Errorf("sim: contact %v: %w", a, ErrNotJoined)
		}
		st := int64(0)
		if open {
			st = 1 // alarm1
		}
		n.setAttr(d, e, clIASZone, 0x0002, zval{n: st})
		var b buf
		b.u16(uint16(st)).u8(0).u8(uint8(e.attrs[clIASZone][0x0011].val.n)).u16(0)
		n.deviceToCoordinator(d, 1, 1, clIASZone, appendZCL(nil, fcClusterSpecific|fcServerToClient, 0, d.nextTSN(), 0x00, b), 0)
		return nil
	})
}

// RemoteButton makes a remote send an On/Off cluster command (0 off,
// 1 on, 2 toggle) to its bindings, or to the coordinator when unbound.
func (n *Network) RemoteButton(ctx context.Context, a zigbee.IEEE, cmd uint8) error {
	return n.withDevice(ctx, a, func(d *device) error {
		if d.kind != KindRemote {
			return fmt.Errorf("sim: button %v: %w", a, ErrUnsupported)
		}
		if !n.member(d) {
			return fmt.Errorf("sim: button %v: %w", a, ErrNotJoined)
		}
		n.wake(d)
		n.sendCommand(d, clOnOff, cmd, nil)
		return nil
	})
}

// Report makes the device send count On/Off attribute reports back to back,
// with alternating values and disable-default-response set. It returns once
// they are written to the link.
func (n *Network) Report(ctx context.Context, a zigbee.IEEE, count int) error {
	return n.withDevice(ctx, a, func(d *device) error {
		e := d.ep(1)
		at := e.attrs[clOnOff][0]
		if at == nil {
			return fmt.Errorf("sim: report %v: %w", a, ErrUnsupported)
		}
		if !n.member(d) {
			return fmt.Errorf("sim: report %v: %w", a, ErrNotJoined)
		}
		for range count {
			at.val.n = 1 - at.val.n
			n.sendReport(d, e, clOnOff, 0, at, fcServerToClient|fcDisableDefRsp)
		}
		n.dirty = true
		return nil
	})
}

// ---- fault hooks ----

// DropResponse drops the SRSP of the next count requests with header h
// (an SREQ header, e.g. znp.Header{Type: znp.SREQ, Subsystem: znp.SYS, ID: 0x01}).
func (n *Network) DropResponse(ctx context.Context, h znp.Header, count int) error {
	return n.call(ctx, func() { n.faults.drop[h] += count })
}

// DelayResponse delays the SRSP of the next request with header h by d;
// like real firmware the dongle handles nothing else meanwhile.
func (n *Network) DelayResponse(ctx context.Context, h znp.Header, d time.Duration) error {
	return n.call(ctx, func() { n.faults.delay[h] = d })
}

// CorruptFrames flips the FCS of the next count frames sent to the host.
func (n *Network) CorruptFrames(ctx context.Context, count int) error {
	return n.call(ctx, func() { n.faults.corrupt += count })
}

// InjectRaw writes raw bytes (line noise, partial frames) to the host.
func (n *Network) InjectRaw(ctx context.Context, b []byte) error {
	b = append([]byte(nil), b...)
	return n.call(ctx, func() {
		n.traceLine(time.Now(), '#', "injected "+hexUpper(b))
		n.linkMu.Lock()
		for l := range n.links {
			l.deliver(b)
		}
		n.linkMu.Unlock()
	})
}

// FailConfirms makes the next len(statuses) unicast/group/broadcast data
// requests fail over the air with these AF_DATA_CONFIRM statuses (e.g.
// 0xE1 channel access failure, 0xCD no route, 0xE9 MAC no ACK, 0xF0
// transaction expired, 0x11 buffer full).
func (n *Network) FailConfirms(ctx context.Context, statuses ...uint8) error {
	return n.call(ctx, func() { n.faults.confirm = append(n.faults.confirm, statuses...) })
}

// Reset resets the chip as its watchdog would: requests in flight are
// lost, and SYS_RESET_IND (reason 2, watchdog) follows after ResetDelay.
func (n *Network) Reset(ctx context.Context) error {
	return n.call(ctx, func() {
		n.log.Info("watchdog reset", "event", "fault_reset")
		n.reset(0x02)
	})
}

// Unplug pulls the dongle: every link closes (in-process reads return
// io.EOF, the pty and its symlink go away, TCP connections drop) and
// OpenZNP fails with zigbee.ErrPortNotFound until Replug.
func (n *Network) Unplug(ctx context.Context) error {
	n.linkMu.Lock()
	if !n.plugged {
		n.linkMu.Unlock()
		return nil
	}
	n.plugged = false
	close(n.plugCh)
	n.plugCh = make(chan struct{})
	ls := make([]*link, 0, len(n.links))
	for l := range n.links {
		ls = append(ls, l)
	}
	n.linkMu.Unlock()
	for _, l := range ls {
		l.close(fmt.Errorf("sim: %w", ErrUnplugged))
	}
	return n.call(ctx, func() {
		n.log.Info("dongle unplugged", "event", "unplug")
		n.powerOff()
	})
}

// Replug plugs the dongle back in: it boots (SYS_RESET_IND, reason
// power-up, to nobody unless a host opens the port fast) and can be
// opened again.
func (n *Network) Replug(ctx context.Context) error {
	n.linkMu.Lock()
	if n.plugged {
		n.linkMu.Unlock()
		return nil
	}
	n.plugged = true
	close(n.plugCh)
	n.plugCh = make(chan struct{})
	n.linkMu.Unlock()
	return n.call(ctx, func() {
		n.log.Info("dongle replugged", "event", "replug")
		n.afterCoord(n.cfg.ResetDelay, func() { n.booted(0x00) })
	})
}

// Plugged reports whether the dongle is plugged in.
func (n *Network) Plugged() bool {
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	return n.plugged
}

// plugState returns the plug state and a channel closed at its next change.
func (n *Network) plugState() (bool, <-chan struct{}) {
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	return n.plugged, n.plugCh
}
