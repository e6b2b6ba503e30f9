package sim

import (
	"encoding/binary"
	"slices"
	"time"
)

// deviceZCL runs a ZCL frame on a device endpoint and sends the answers.
// Default responses follow ZCL 8 §2.5.12: sent for commands without a
// specific response unless disabled, always on error, never for frames
// that were broadcast or sent to a group.
func (n *Network) deviceZCL(d *device, e *endpoint, srcEp uint8, cluster uint16, data []byte, multicast bool) {
	h, ok := parseZCL(data)
	if !ok || h.fc&fcServerToClient != 0 {
		return // malformed, or a response/report sent to the device
	}
	reply := func(fc, cmd uint8, p []byte) {
		fc |= fcServerToClient | fcDisableDefRsp | h.fc&fcMfrSpecific
		n.deviceToCoordinator(d, e.id, srcEp, cluster, appendZCL(nil, fc, h.mfr, h.tsn, cmd, p), 0)
	}
	def := func(status uint8) {
		if multicast || (status == zclSuccess && h.fc&fcDisableDefRsp != 0) {
			return
		}
		reply(0x00, 0x0B, []byte{h.cmd, status})
	}
	if !slices.Contains(e.in, cluster) {
		def(zclUnsupportedCluster)
		return
	}
	if h.fc&fcMfrSpecific != 0 {
		if h.clusterSpecific() {
			def(0x83) // UNSUP_MANUF_CLUSTER_COMMAND
		} else {
			def(0x84) // UNSUP_MANUF_GENERAL_COMMAND
		}
		return
	}
	if h.clusterSpecific() {
		st, rsp := n.clusterCommand(d, e, cluster, h)
		if rsp != nil {
			reply(fcClusterSpecific, rsp.cmd, rsp.payload)
			return
		}
		def(st)
		return
	}
	attrs := e.attrs[cluster]
	switch h.cmd {
	case 0x00: // read attributes
		var b buf
		r := newRd(h.payload)
		for r.left() >= 2 {
			id := r.u16()
			b.u16(id)
			if a, ok := attrs[id]; ok {
				b.u8(zclSuccess).u8(a.typ)
				b = appendZval(b, a.typ, a.val)
			} else {
				b.u8(zclUnsupportedAttribute)
			}
		}
		reply(0x00, 0x01, b)
	case 0x02, 0x03, 0x05: // write attributes (undivided, no response)
		type wr struct {
			id uint16
			a  *attr
			v  zval
		}
		var ok []wr
		var fail buf
		p := h.payload
		for len(p) >= 3 {
			id, t := binary.LittleEndian.Uint16(p), p[2]
			v, l, good := readZval(p[3:], t)
			if !good {
				def(zclMalformedCommand)
				return
			}
			p = p[3+l:]
			a, exists := attrs[id]
			switch {
			case !exists:
				fail.u8(zclUnsupportedAttribute).u16(id)
			case a.typ != t:
				fail.u8(zclInvalidDataType).u16(id)
			case !a.writable:
				fail.u8(zclReadOnly).u16(id)
			default:
				ok = append(ok, wr{id, a, v})
			}
		}
		if h.cmd != 0x03 || len(fail) == 0 {
			for _, w := range ok {
				n.setAttr(d, e, cluster, w.id, w.v)
				n.afterWrite(d, e, cluster, w.id)
			}
		}
		if h.cmd == 0x05 {
			return
		}
		if len(fail) == 0 {
			reply(0x00, 0x04, []byte{zclSuccess})
		} else {
			reply(0x00, 0x04, fail)
		}
	case 0x06: // configure reporting
		var fail buf
		r := newRd(h.payload)
		for r.left() > 0 {
			dir, id := r.u8(), r.u16()
			if dir != 0 {
				r.u16() // timeout period (client side)
				fail.u8(zclUnsupportedAttribute).u8(dir).u16(id)
				continue
			}
			t, min, max := r.u8(), r.u16(), r.u16()
			var change int64
			if analogType(t) {
				v, l, good := readZval(r.b, t)
				if !good {
					def(zclMalformedCommand)
					return
				}
				r.take(l)
				change = v.n
			}
			if !r.ok {
				def(zclMalformedCommand)
				return
			}
			a, exists := attrs[id]
			switch {
			case !exists:
				fail.u8(zclUnsupportedAttribute).u8(dir).u16(id)
			case a.typ != t:
				fail.u8(zclInvalidDataType).u8(dir).u16(id)
			case a.typ == zCharStr:
				fail.u8(zclUnreportable).u8(dir).u16(id)
			case max != 0 && max != 0xFFFF && min > max:
				fail.u8(zclInvalidValue).u8(dir).u16(id)
			default:
				gen := uint64(0)
				if a.rep != nil {
					gen = a.rep.gen + 1
				}
				a.rep = &reporting{min: min, max: max, change: change, last: a.val, gen: gen}
				n.dirty = true
				n.armPeriodic(d, e, cluster, id, a)
			}
		}
		if len(fail) == 0 {
			reply(0x00, 0x07, []byte{zclSuccess})
		} else {
			reply(0x00, 0x07, fail)
		}
	case 0x08: // read reporting configuration
		var b buf
		r := newRd(h.payload)
		for r.left() >= 3 {
			dir, id := r.u8(), r.u16()
			a, exists := attrs[id]
			switch {
			case !exists:
				b.u8(zclUnsupportedAttribute).u8(dir).u16(id)
			case dir != 0 || a.rep == nil:
				b.u8(zclNotFound).u8(dir).u16(id)
			default:
				b.u8(zclSuccess).u8(dir).u16(id).u8(a.typ).u16(a.rep.min).u16(a.rep.max)
				if analogType(a.typ) {
					b = appendZval(b, a.typ, zval{n: a.rep.change})
				}
			}
		}
		reply(0x00, 0x09, b)
	case 0x0C: // discover attributes
		r := newRd(h.payload)
		start, maxN := r.u16(), r.u8()
		if !r.ok {
			def(zclMalformedCommand)
			return
		}
		ids := slices.Sorted(func(yield func(uint16) bool) {
			for id := range attrs {
				if id >= start && !yield(id) {
					return
				}
			}
		})
		complete := uint8(1)
		if len(ids) > int(maxN) {
			ids, complete = ids[:maxN], 0
		}
		b := buf{complete}
		for _, id := range ids {
			b.u16(id).u8(attrs[id].typ)
		}
		reply(0x00, 0x0D, b)
	case 0x0B, 0x01, 0x04, 0x07, 0x09, 0x0A, 0x0D:
		// responses and reports addressed to a server: nothing to do
	default:
		def(zclUnsupGeneralCommand)
	}
}

type zclRsp struct {
	cmd     uint8
	payload []byte
}

// clusterCommand runs a cluster-specific command; a non-nil response is
// sent instead of a default response.
func (n *Network) clusterCommand(d *device, e *endpoint, cluster uint16, h zclHeader) (uint8, *zclRsp) {
	r := newRd(h.payload)
	set := func(c, id uint16, v int64) {
		if a := e.attrs[c][id]; a != nil {
			n.setAttr(d, e, c, id, zval{n: clampTo(a.typ, v)})
		}
	}
	get := func(c, id uint16) int64 {
		if a := e.attrs[c][id]; a != nil {
			return a.val.n
		}
		return 0
	}
	switch cluster {
	case clOnOff:
		switch h.cmd {
		case 0x00, 0x40: // off, off with effect
			set(clOnOff, 0, 0)
		case 0x01, 0x41: // on, on with recall global scene
			set(clOnOff, 0, 1)
		case 0x02: // toggle
			set(clOnOff, 0, 1-get(clOnOff, 0))
		case 0x42: // on with timed off
			r.u8() // on/off control
			onTime, offWait := r.u16(), r.u16()
			if !r.ok {
				return zclMalformedCommand, nil
			}
			set(clOnOff, 0, 1)
			set(clOnOff, 0x4001, int64(onTime))
			set(clOnOff, 0x4002, int64(offWait))
			if onTime > 0 && onTime != 0xFFFF {
				g := get(clOnOff, 0x4001)
				n.after(time.Duration(onTime)*100*time.Millisecond, func() {
					if get(clOnOff, 0x4001) == g {
						set(clOnOff, 0, 0)
						set(clOnOff, 0x4001, 0)
					}
				})
			}
		default:
			return zclUnsupClusterCommand, nil
		}
		n.plugLoad(d, e)
		return zclSuccess, nil
	case clLevel:
		withOnOff := h.cmd >= 0x04 && h.cmd <= 0x07
		lvl := get(clLevel, 0)
		switch h.cmd &^ 0x04 {
		case 0x00: // move to level
			lvl = int64(r.u8())
			r.u16()
		case 0x01: // move: jumps to the end of the range
			if r.u8() == 0 {
				lvl = 254
			} else {
				lvl = 1
			}
		case 0x02: // step
			mode, step := r.u8(), int64(r.u8())
			if mode == 0 {
				lvl += step
			} else {
				lvl -= step
			}
		case 0x03: // stop
		default:
			return zclUnsupClusterCommand, nil
		}
		if !r.ok {
			return zclMalformedCommand, nil
		}
		lvl = max(1, min(254, lvl))
		set(clLevel, 0, lvl)
		if withOnOff && h.cmd != 0x07 {
			if lvl <= 1 && h.cmd&^0x04 != 0x00 {
				set(clOnOff, 0, 0)
			} else {
				set(clOnOff, 0, 1)
			}
		}
		return zclSuccess, nil
	case clColor:
		mode := int64(-1)
		switch h.cmd {
		case 0x00: // move to hue
			set(clColor, 0x0000, int64(r.u8()))
			mode = 0
		case 0x03: // move to saturation
			set(clColor, 0x0001, int64(r.u8()))
			mode = 0
		case 0x06: // move to hue and saturation
			set(clColor, 0x0000, int64(r.u8()))
			set(clColor, 0x0001, int64(r.u8()))
			mode = 0
		case 0x07: // move to color
			set(clColor, 0x0003, int64(r.u16()))
			set(clColor, 0x0004, int64(r.u16()))
			mode = 1
		case 0x0A: // move to color temperature
			set(clColor, 0x0007, max(get(clColor, 0x400B), min(get(clColor, 0x400C), int64(r.u16()))))
			mode = 2
		case 0x47: // stop move step
		default:
			return zclUnsupClusterCommand, nil
		}
		if !r.ok {
			return zclMalformedCommand, nil
		}
		if mode >= 0 {
			set(clColor, 0x0008, mode)
			set(clColor, 0x4001, mode)
		}
		return zclSuccess, nil
	case clIdentify:
		switch h.cmd {
		case 0x00: // identify
			t := r.u16()
			if !r.ok {
				return zclMalformedCommand, nil
			}
			set(clIdentify, 0, int64(t))
			d.identify++
			g := d.identify
			if t > 0 {
				n.after(time.Duration(t)*time.Second, func() {
					if d.identify == g {
						set(clIdentify, 0, 0)
					}
				})
			}
			return zclSuccess, nil
		case 0x01: // identify query
			if t := get(clIdentify, 0); t > 0 {
				var b buf
				return zclSuccess, &zclRsp{0x00, *b.u16(uint16(t))}
			}
			return zclSuccess, nil
		case 0x40: // trigger effect
			return zclSuccess, nil
		}
		return zclUnsupClusterCommand, nil
	case clGroups:
		var b buf
		switch h.cmd {
		case 0x00, 0x05: // add group (if identifying)
			g := r.u16()
			if !r.ok {
				return zclMalformedCommand, nil
			}
			st := uint8(zclSuccess)
			switch {
			case e.groups[g]:
				st = 0x8A // DUPLICATE_EXISTS
			case len(e.groups) >= 16:
				st = 0x89 // INSUFFICIENT_SPACE
			default:
				e.groups[g] = true
				n.dirty = true
			}
			if h.cmd == 0x05 {
				return st, nil
			}
			return zclSuccess, &zclRsp{0x00, *b.u8(st).u16(g)}
		case 0x01: // view group
			g := r.u16()
			if !r.ok {
				return zclMalformedCommand, nil
			}
			if !e.groups[g] {
				return zclSuccess, &zclRsp{0x01, *b.u8(zclNotFound).u16(g)}
			}
			return zclSuccess, &zclRsp{0x01, *b.u8(zclSuccess).u16(g).u8(0)}
		case 0x02: // get group membership
			cnt := int(r.u8())
			want := make([]uint16, 0, cnt)
			for range cnt {
				want = append(want, r.u16())
			}
			if !r.ok {
				return zclMalformedCommand, nil
			}
			var out []uint16
			for _, g := range slices.Sorted(func(yield func(uint16) bool) {
				for g := range e.groups {
					if !yield(g) {
						return
					}
				}
			}) {
				if cnt == 0 || slices.Contains(want, g) {
					out = append(out, g)
				}
			}
			b.u8(uint8(16 - len(e.groups))).u8(uint8(len(out)))
			for _, g := range out {
				b.u16(g)
			}
			return zclSuccess, &zclRsp{0x02, b}
		case 0x03: // remove group
			g := r.u16()
			if !r.ok {
				return zclMalformedCommand, nil
			}
			st := uint8(zclNotFound)
			if e.groups[g] {
				delete(e.groups, g)
				st = zclSuccess
				n.dirty = true
			}
			return zclSuccess, &zclRsp{0x03, *b.u8(st).u16(g)}
		case 0x04: // remove all groups
			clear(e.groups)
			n.dirty = true
			return zclSuccess, nil
		}
		return zclUnsupClusterCommand, nil
	case clIASZone:
		switch h.cmd {
		case 0x00: // zone enroll response
			code, id := r.u8(), r.u8()
			if !r.ok {
				return zclMalformedCommand, nil
			}
			if code == 0 {
				set(clIASZone, 0x0000, 1)
				set(clIASZone, 0x0011, int64(id))
			}
			return zclSuccess, nil
		case 0x01, 0x02: // initiate normal / test mode
			return zclSuccess, nil
		}
		return zclUnsupClusterCommand, nil
	case clPollCtrl:
		return zclSuccess, nil
	}
	return zclUnsupClusterCommand, nil
}

// clampTo keeps v inside the range of unsigned type t.
func clampTo(t uint8, v int64) int64 {
	if signedType(t) || t == zEUI64 {
		return v
	}
	if l := typeLen(t); l > 0 && l < 8 {
		return max(0, min(v, int64(1)<<(8*l)-1))
	}
	return v
}

// afterWrite applies side effects of attribute writes: writing the IAS CIE
// address makes a zone device ask to enrol (ZCL 8 §8.2.2.2.3).
func (n *Network) afterWrite(d *device, e *endpoint, cluster, id uint16) {
	if cluster == clIASZone && id == 0x0010 {
		n.after(n.cfg.DeviceDelay, func() {
			zt := e.attrs[clIASZone][0x0001].val.n
			var b buf
			b.u16(uint16(zt)).u16(d.model.mfrCode)
			n.deviceToCoordinator(d, e.id, 1, clIASZone,
				appendZCL(nil, fcClusterSpecific|fcServerToClient, 0, d.nextTSN(), 0x01, b), 0)
		})
	}
}

// plugLoad keeps the plug's electrical readings consistent with its relay.
func (n *Network) plugLoad(d *device, e *endpoint) {
	if d.kind != KindPlug {
		return
	}
	on := e.attrs[clOnOff][0].val.n != 0
	p, i := int64(0), int64(0)
	if on {
		p, i = 60, 261
	}
	n.setAttr(d, e, clElectrical, 0x050B, zval{n: p})
	n.setAttr(d, e, clElectrical, 0x0508, zval{n: i})
	n.setAttr(d, e, clMetering, 0x0400, zval{n: p})
}

// setAttr changes an attribute and triggers reporting.
func (n *Network) setAttr(d *device, e *endpoint, cluster, id uint16, v zval) {
	a := e.attrs[cluster][id]
	if a == nil || a.val == v {
		return
	}
	a.val = v
	n.dirty = true
	n.checkReport(d, e, cluster, id, a)
}

// checkReport sends a report for a changed attribute when its reporting
// configuration asks for one (ZCL 8 §2.5.7: change ≥ reportable change,
// at least min interval since the last report).
func (n *Network) checkReport(d *device, e *endpoint, cluster, id uint16, a *attr) {
	rp := a.rep
	if rp == nil || rp.max == 0xFFFF || !n.member(d) {
		return
	}
	if analogType(a.typ) {
		delta := a.val.n - rp.last.n
		if delta < 0 {
			delta = -delta
		}
		if rp.sent && delta < max(rp.change, 1) {
			return
		}
	} else if rp.sent && a.val == rp.last {
		return
	}
	wait := time.Until(rp.lastAt.Add(time.Duration(rp.min) * time.Second))
	if rp.sent && wait > 0 {
		g := rp.gen
		n.after(wait, func() {
			if a.rep == rp && rp.gen == g {
				n.checkReport(d, e, cluster, id, a)
			}
		})
		return
	}
	n.sendReport(d, e, cluster, id, a, 0x08)
}

// sendReport emits Report Attributes for one attribute to the coordinator
// (to the endpoint the cluster is bound to, else endpoint 1).
func (n *Network) sendReport(d *device, e *endpoint, cluster, id uint16, a *attr, fc uint8) {
	var p buf
	p.u16(id).u8(a.typ)
	p = appendZval(p, a.typ, a.val)
	n.deviceToCoordinator(d, e.id, n.reportEndpoint(d, e.id, cluster), cluster, appendZCL(nil, fc, 0, d.nextTSN(), 0x0A, p), 0)
	if rp := a.rep; rp != nil {
		rp.last, rp.lastAt, rp.sent = a.val, time.Now(), true
		n.armPeriodic(d, e, cluster, id, a)
	}
}

func (n *Network) reportEndpoint(d *device, ep uint8, cluster uint16) uint8 {
	for _, b := range d.bindings {
		if b.srcEp == ep && b.cluster == cluster && b.mode == 3 && b.dst == n.ieee() {
			return b.dstEp
		}
	}
	return 1
}

// armPeriodic schedules the max-interval report of a and cancels the
// previous schedule.
func (n *Network) armPeriodic(d *device, e *endpoint, cluster, id uint16, a *attr) {
	rp := a.rep
	if rp == nil {
		return
	}
	rp.gen++
	if rp.max == 0 || rp.max == 0xFFFF {
		return
	}
	g := rp.gen
	n.after(time.Duration(rp.max)*time.Second, func() {
		if a.rep == rp && rp.gen == g && n.member(d) {
			n.sendReport(d, e, cluster, id, a, 0x08)
		}
	})
}

// startDevice arms a member device's own activity: periodic reports,
// sensor measurements and (sleepy) polling.
func (n *Network) startDevice(d *device) {
	for _, e := range d.eps {
		for c, as := range e.attrs {
			for id, a := range as {
				n.armPeriodic(d, e, c, id, a)
			}
		}
	}
	if d.kind == KindTHSensor || d.kind == KindPlug {
		d.sensorGen++
		g := d.sensorGen
		var tick func()
		tick = func() {
			if d.sensorGen != g || !n.member(d) {
				return
			}
			n.measure(d)
			n.after(n.cfg.SensorInterval, tick)
		}
		n.after(n.cfg.SensorInterval, tick)
	}
	if d.model.sleepy {
		n.schedulePoll(d)
	}
}

func (n *Network) startSensors() {
	for _, d := range n.devices {
		if n.member(d) {
			n.startDevice(d)
		}
	}
}

// measure moves a sensor's readings by a random walk step large enough to
// be reported, or accumulates the plug's energy.
func (n *Network) measure(d *device) {
	e := d.ep(1)
	step := func(lo, hi int64) int64 {
		v := lo + n.rng.Int64N(hi-lo+1)
		if n.rng.IntN(2) == 0 {
			return -v
		}
		return v
	}
	switch d.kind {
	case KindTHSensor:
		t := e.attrs[clTemperature][0].val.n + step(10, 40)
		h := e.attrs[clHumidity][0].val.n + step(100, 300)
		n.setAttr(d, e, clTemperature, 0, zval{n: max(1500, min(2800, t))})
		n.setAttr(d, e, clHumidity, 0, zval{n: max(2500, min(7500, h))})
	case KindPlug:
		if e.attrs[clOnOff][0].val.n != 0 {
			s := e.attrs[clMetering][0].val.n
			n.setAttr(d, e, clMetering, 0, zval{n: s + 1 + int64(n.cfg.SensorInterval/time.Minute)})
		}
	}
}

// sendCommand sends a cluster-specific command from a device to its
// bindings for the cluster, or to the coordinator's endpoint 1.
func (n *Network) sendCommand(d *device, cluster uint16, cmd uint8, payload []byte) {
	frame := appendZCL(nil, fcClusterSpecific, 0, d.nextTSN(), cmd, payload)
	sent := false
	for _, b := range d.bindings {
		if b.cluster != cluster {
			continue
		}
		sent = true
		switch b.mode {
		case 1:
			for _, cg := range n.groups {
				if cg.Group == b.group {
					n.deviceToCoordinator(d, b.srcEp, cg.Endpoint, cluster, frame, b.group)
					break
				}
			}
			for _, t := range n.devices {
				if t == d || !n.member(t) || !t.rxOn() {
					continue
				}
				for _, te := range t.eps {
					if te.groups[b.group] {
						n.deviceZCL(t, te, b.srcEp, cluster, frame, true)
					}
				}
			}
		case 3:
			if b.dst == n.ieee() {
				n.deviceToCoordinator(d, b.srcEp, b.dstEp, cluster, frame, 0)
			} else if t := n.deviceByIEEE(b.dst); t != nil && n.member(t) {
				if te := t.ep(b.dstEp); te != nil {
					n.deviceZCL(t, te, b.srcEp, cluster, frame, true) // answers would go to the remote, not the host
				}
			}
		}
	}
	if !sent {
		n.deviceToCoordinator(d, 1, 1, cluster, frame, 0)
	}
}
