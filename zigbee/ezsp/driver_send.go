package ezsp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// APS option bits (ezsp.md §7.1).
const (
	apsRetry            = 0x0040
	apsEncryption       = 0x0020
	apsRouteDiscovery   = 0x0100
	apsAddressDiscovery = 0x1000
)

// Message types of sendUnicast and incomingMessageHandler.
const (
	outDirect   = 0
	inMulticast = 2
	inMcastLoop = 3
	inBroadcast = 4
	inBcastLoop = 5
)

// MaxSendPayload is the largest APS payload Send accepts; the stack's
// limit without source routing (maximumPayloadLength, ezsp.md §5.4).
const MaxSendPayload = 82

// handle turns a callback nobody waited for into an event.
func (s *session) handle(cb Callback) {
	p := cb.Params
	switch cb.Command.ID {
	case 0x0019: // stackStatusHandler
		sl := s.sl(p)
		s.log.Debug("stack status", "event", "stack_status", "status", SLStatusName(sl))
		if sl == SLNetworkDown && s.upFlag.Load() {
			select {
			case s.down <- fmt.Errorf("ezsp: %w: the NCP reported NETWORK_DOWN", zigbee.ErrNetworkDown):
			default:
			}
		}
	case 0x0024: // trustCenterJoinHandler
		nwk, ieee := zigbee.NWK(p.Uint("newNodeId")), zigbee.IEEE(p.Uint("newNodeEui64"))
		switch {
		case p.Uint("status") == 2: // DEVICE_LEFT
			s.log.Info("device left", "event", "device_left", "ieee", ieee.String(), "nwk", nwk.String())
			s.queue(zigbee.DeviceLeft{NWK: nwk, IEEE: ieee})
		case p.Uint("policyDecision") == 2: // DENY_JOIN
			s.log.Warn("join denied", "event", "join_denied", "ieee", ieee.String())
		default:
			parent := zigbee.NWK(p.Uint("parentOfNewNodeId"))
			s.log.Info("device joined", "event", "device_joined", "ieee", ieee.String(), "nwk", nwk.String(), "parent", parent.String())
			s.queue(zigbee.DeviceJoined{NWK: nwk, IEEE: ieee, Parent: parent})
		}
	case 0x0045: // incomingMessageHandler
		m, ok := s.message(p)
		if !ok {
			return
		}
		if m.Profile == zigbee.ProfileZDO {
			if m.Cluster == 0x0013 && len(m.Payload) >= 12 {
				a := zigbee.DeviceAnnounced{NWK: zigbee.NWK(binary.LittleEndian.Uint16(m.Payload[1:])),
					IEEE: zigbee.IEEE(binary.LittleEndian.Uint64(m.Payload[3:])), Capabilities: m.Payload[11]}
				s.log.Info("device announced", "event", "device_announced", "ieee", a.IEEE.String(), "nwk", a.NWK.String())
				s.queue(a)
			}
			return
		}
		s.queue(zigbee.MessageReceived{Message: m})
	case 0x0059: // incomingRouteRecordHandler
		list, _ := p["relayList"].([]uint16)
		relays := make([]zigbee.NWK, 0, len(list))
		for _, r := range list {
			relays = append(relays, zigbee.NWK(r))
		}
		s.queue(zigbee.RouteChanged{Dst: zigbee.NWK(p.Uint("source")), Relay: relays})
	case 0x007C: // idConflictHandler
		s.log.Warn("NWK address conflict", "event", "id_conflict", "nwk", zigbee.NWK(p.Uint("id")).String())
	default:
		s.log.Debug("callback ignored", "event", "callback_ignored", "cmd", cb.Command.Name)
	}
}

// message decodes incomingMessageHandler in the layout of the version.
func (s *session) message(p Params) (zigbee.Message, bool) {
	aps := p.Struct("apsFrame")
	if aps == nil {
		return zigbee.Message{}, false
	}
	m := zigbee.Message{
		SrcEndpoint: zigbee.Endpoint(aps.Uint("sourceEndpoint")),
		DstEndpoint: zigbee.Endpoint(aps.Uint("destinationEndpoint")),
		Profile:     zigbee.ProfileID(aps.Uint("profileId")),
		Cluster:     zigbee.ClusterID(aps.Uint("clusterId")),
		Received:    time.Now(),
		Payload:     p.Bytes("message"),
	}
	switch typ := p.Uint("type"); typ {
	case inMulticast, inMcastLoop:
		m.Group = uint16(aps.Uint("groupId"))
	case inBroadcast, inBcastLoop:
		m.WasBroadcast = true
	}
	if pi := p.Struct("packetInfo"); pi != nil {
		m.Src, m.LQI = zigbee.NWK(pi.Uint("senderShortId")), uint8(pi.Uint("lastHopLqi"))
		m.RSSI, _ = pi["lastHopRssi"].(int8)
	} else {
		m.Src, m.LQI = zigbee.NWK(p.Uint("sender")), uint8(p.Uint("lastHopLqi"))
		m.RSSI, _ = p["lastHopRssi"].(int8)
	}
	return m, true
}

// endpointFor returns the registered endpoint of a profile, else 1.
func (s *session) endpointFor(p zigbee.ProfileID) zigbee.Endpoint {
	return driverkit.EndpointFor(s.eps, p)
}

// Send transmits an APS frame with sendUnicast, sendMulticast or
// sendBroadcast and waits for messageSentHandler. A delivery failure fails
// with a *zigbee.StatusError whose Reason is zigbee.ErrDeliveryFailed. An
// NCP whose message queue is full is retried 3 times, 500 ms apart, then
// fails the same way. A broadcast whose confirmation does not come is not
// an error. At most MaxTransactions calls (with ZDORequest) are in flight.
func (d *Driver) Send(ctx context.Context, f zigbee.APSFrame) error {
	s, err := d.active()
	if err != nil {
		return err
	}
	if len(f.Payload) > MaxSendPayload {
		return fmt.Errorf("ezsp: send %v: payload of %d bytes is above %d: %w", f, len(f.Payload), MaxSendPayload, ErrBadValue)
	}
	if err := d.txSem.Acquire(ctx); err != nil {
		return fmt.Errorf("ezsp: send %v: %w", f, err)
	}
	defer d.txSem.Release()
	return s.send(ctx, f)
}

// send submits f and waits for its messageSentHandler.
func (s *session) send(ctx context.Context, f zigbee.APSFrame) error {
	sub, err := s.submit(ctx, f)
	if err != nil {
		return err
	}
	defer sub.release()
	cb, err := s.wait(ctx, sub.sent, sub.timeout, "messageSentHandler")
	if err != nil {
		if sub.broadcast && errors.Is(err, zigbee.ErrTimeout) {
			return nil
		}
		return fmt.Errorf("%w (sending %v)", err, f)
	}
	return sub.result(cb)
}

// submission is a message the NCP accepted.
type submission struct {
	s         *session
	f         zigbee.APSFrame
	tag       uint8
	sent      *cbWaiter // messageSentHandler
	timeout   time.Duration
	broadcast bool
}

func (sub *submission) release() {
	sub.s.cancel(sub.sent)
	sub.s.d.freeTag(sub.tag)
}

// result turns messageSentHandler into the outcome of the send.
func (sub *submission) result(cb Callback) error {
	if raw := uint32(cb.Params.Uint("status")); raw != 0 {
		return fmt.Errorf("%w (sending %v)", sub.s.statusErr("messageSentHandler", raw, zigbee.ErrDeliveryFailed), sub.f)
	}
	return nil
}

// submit hands f to the NCP (retrying while it is busy) with a waiter for
// its messageSentHandler registered first.
func (s *session) submit(ctx context.Context, f zigbee.APSFrame) (*submission, error) {
	src := f.SrcEndpoint
	if src == 0 && f.Profile != zigbee.ProfileZDO {
		src = s.endpointFor(f.Profile)
	}
	radius := f.Radius
	if radius == 0 {
		radius = zigbee.DefaultRadius
	}
	opts := uint16(apsRouteDiscovery)
	if f.Options&zigbee.TxAckRequest != 0 {
		opts |= apsRetry
	}
	if f.Options&zigbee.TxSecurity != 0 {
		opts |= apsEncryption
	}
	dstEp := f.DstEndpoint
	dst := f.Dst
	if dst.Mode == zigbee.AddrIEEE {
		rsp, err := s.c.Call(ctx, "lookupNodeIdByEui64", Params{"eui64": uint64(dst.IEEE)})
		if err != nil {
			return nil, err
		}
		nwk := zigbee.NWK(rsp.Uint("nodeId"))
		if nwk == 0xFFFF || nwk == zigbee.NWKInvalid {
			return nil, fmt.Errorf("ezsp: send %v: %w: the NCP does not know a NWK address for %v", f, zigbee.ErrDeliveryFailed, dst.IEEE)
		}
		dst = zigbee.Unicast(nwk)
	}
	if dst.Mode == zigbee.AddrNWK && dst.NWK.IsBroadcast() {
		dst = zigbee.Broadcast(dst.NWK)
	}
	sub := &submission{s: s, f: f, tag: s.d.allocTag(), timeout: s.d.cfg.GroupConfirmTimeout}
	aps := Params{"profileId": uint16(f.Profile), "clusterId": uint16(f.Cluster), "sourceEndpoint": uint8(src),
		"destinationEndpoint": uint8(dstEp), "options": opts}
	var name string
	p := Params{"messageTag": sub.tag, "message": bytes.Clone(f.Payload), "apsFrame": aps}
	switch dst.Mode {
	case zigbee.AddrNWK:
		name = "sendUnicast"
		aps["options"] = opts | apsAddressDiscovery
		p["type"], p["indexOrDestination"] = uint8(outDirect), uint16(dst.NWK)
		sub.timeout = s.d.cfg.ConfirmTimeout
	case zigbee.AddrGroup:
		name = "sendMulticast"
		aps["groupId"], aps["options"] = dst.Group, opts&^apsRetry
		if dstEp == 0 {
			aps["destinationEndpoint"] = uint8(0xFF)
		}
		p["hops"], p["nonMemberRadius"] = radius, uint8(7)
		p["broadcastAddr"], p["alias"] = uint16(zigbee.NWKBroadcastRxOn), uint16(0xFFFF)
	case zigbee.AddrBroadcast:
		name = "sendBroadcast"
		sub.broadcast = true
		aps["options"] = opts &^ apsRetry
		p["destination"], p["radius"], p["alias"] = uint16(dst.NWK), radius, uint16(0xFFFF)
	default:
		s.d.freeTag(sub.tag)
		return nil, fmt.Errorf("ezsp: send %v: address mode %d: %w", f, dst.Mode, zigbee.ErrUnsupported)
	}
	sub.sent = s.expect(func(cb Callback) bool {
		return cb.Command.ID == 0x003F && cb.Params.Uint("messageTag") == uint64(sub.tag)
	})
	var err error
	for attempt := 1; ; attempt++ {
		_, err = s.call(ctx, name, p, zigbee.ErrDeliveryFailed)
		if err == nil || attempt == busyRetries || !busy(err) {
			break
		}
		s.log.Debug("NCP busy, retrying", "event", "ncp_busy", "cmd", name, "attempt", attempt)
		if err := driverkit.Sleep(ctx, busyBackoff); err != nil {
			sub.release()
			return nil, err
		}
	}
	if err != nil {
		sub.release()
		return nil, fmt.Errorf("%w (sending %v)", err, f)
	}
	return sub, nil
}

// busy reports a status that means "try again shortly" (ezsp.md §11).
func busy(err error) bool {
	se, ok := errors.AsType[*zigbee.StatusError](err)
	if !ok {
		return false
	}
	switch se.Name {
	case "ZIGBEE_MAX_MESSAGE_LIMIT_REACHED", "ALLOCATION_FAILED", "BUSY":
		return true
	}
	return false
}

// ZDORequest sends a ZDP request (payload starting with the transaction
// sequence number) to dst on the ZDO endpoint and returns the response
// payload (starting with the same sequence number) from dst, or from any
// device for broadcasts. Requests that have no response (Mgmt_NWK_Update
// with a scan duration of 0xFE or 0xFF) return nil once sent.
func (d *Driver) ZDORequest(ctx context.Context, dst zigbee.NWK, cluster zigbee.ClusterID, payload []byte) ([]byte, error) {
	s, err := d.active()
	if err != nil {
		return nil, err
	}
	if len(payload) < 1 {
		return nil, fmt.Errorf("ezsp: ZDO request %v: %w: no sequence number", cluster, ErrBadValue)
	}
	if err := d.txSem.Acquire(ctx); err != nil {
		return nil, fmt.Errorf("ezsp: ZDO request %v: %w", cluster, err)
	}
	defer d.txSem.Release()
	noResponse := cluster == 0x0038 && len(payload) >= 6 && payload[5] >= 0xFE
	tsn := payload[0]
	rspCluster := uint16(cluster) | 0x8000
	w := s.expect(func(cb Callback) bool {
		if cb.Command.ID != 0x0045 {
			return false
		}
		m, ok := s.message(cb.Params)
		return ok && m.Profile == zigbee.ProfileZDO && uint16(m.Cluster) == rspCluster && len(m.Payload) > 0 &&
			m.Payload[0] == tsn && (dst.IsBroadcast() || m.Src == dst)
	})
	addr := zigbee.Unicast(dst)
	opts := zigbee.TxAckRequest
	if dst.IsBroadcast() {
		addr, opts = zigbee.Broadcast(dst), 0
	}
	sub, err := s.submit(ctx, zigbee.APSFrame{Dst: addr, Profile: zigbee.ProfileZDO, Cluster: cluster, Options: opts, Payload: payload})
	if err != nil {
		s.cancel(w)
		return nil, err
	}
	defer sub.release()
	if noResponse {
		s.cancel(w)
		return nil, nil
	}
	// The answer may come before or after messageSentHandler; a failed
	// delivery ends the wait early.
	what := fmt.Sprintf("ZDO response 0x%04X from %v", rspCluster, dst)
	t := time.NewTimer(d.cfg.ZDOTimeout)
	defer t.Stop()
	sent := sub.sent.ch
	for {
		select {
		case cb := <-w.ch:
			m, _ := s.message(cb.Params)
			return m.Payload, nil
		case cb := <-sent:
			sent = nil
			if err := sub.result(cb); err != nil {
				s.cancel(w)
				return nil, err
			}
		case <-ctx.Done():
			s.cancel(w)
			return nil, ctx.Err()
		case <-t.C:
			s.cancel(w)
			return nil, fmt.Errorf("ezsp: %s: %w after %v", what, zigbee.ErrTimeout, d.cfg.ZDOTimeout)
		case <-s.c.Done():
			s.cancel(w)
			return nil, s.c.linkErr(what)
		}
	}
}

// PermitJoin opens the network for joining for dur (0 closes it): the
// NCP's trust-center policy and permitJoining, and Mgmt_Permit_Joining_req
// broadcast to the routers (via 0 or NWKBroadcastRouter), or sent to the
// one router via. Windows longer than 254 s are renewed until they end.
func (d *Driver) PermitJoin(ctx context.Context, dur time.Duration, via zigbee.NWK) error {
	s, err := d.active()
	if err != nil {
		return err
	}
	return d.joining.Open(ctx, dur, via, s.permitJoin)
}

// permitJoin sets the TC policy and the NCP's window (ezsp.md §9.1 "later,
// on user action") and tells the routers.
func (s *session) permitJoin(ctx context.Context, dur time.Duration, via zigbee.NWK) error {
	secs := uint8((dur + time.Second - 1) / time.Second)
	if via.IsBroadcast() {
		policy := uint8(tcAllowUnsecuredRejoin)
		if secs > 0 {
			p := Params{"eui64": uint64(0xFFFFFFFFFFFFFFFF), "plaintextKey": bytes.Clone(zigbee.DefaultTCLinkKey[:]), "flags": uint8(0)}
			if _, err := s.call(ctx, "importTransientKey", p, nil); err != nil {
				return err
			}
			policy |= tcAllowJoins
		} else if _, err := s.c.Call(ctx, "clearTransientLinkKeys", nil); err != nil {
			return err
		}
		if _, err := s.call(ctx, "setPolicy", Params{"policyId": uint8(policyTrustCenter), "decisionId": policy}, nil); err != nil {
			return err
		}
		if _, err := s.call(ctx, "permitJoining", Params{"duration": secs}, nil); err != nil {
			return err
		}
	}
	s.d.mu.Lock()
	s.d.zdoTSN++
	tsn := s.d.zdoTSN
	s.d.mu.Unlock()
	addr := zigbee.Unicast(via)
	if via.IsBroadcast() {
		addr = zigbee.Broadcast(via)
	}
	sub, err := s.submit(ctx, zigbee.APSFrame{Dst: addr, Profile: zigbee.ProfileZDO, Cluster: 0x0036,
		Payload: []byte{tsn, secs, 1}})
	if err != nil {
		return err
	}
	sub.release()
	return nil
}

// permitJoinWake returns when the serve loop must next act on permit join.
func (d *Driver) permitJoinWake() (time.Time, bool) {
	until, _ := window{d}.PermitJoinWindow()
	return driverkit.PermitJoinWake(until, time.Now())
}

// window is the driver's permit-join window as driverkit.Joining keeps it.
type window struct{ d *Driver }

func (w window) PermitJoinWindow() (time.Time, zigbee.NWK) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.d.pjUntil, w.d.pjVia
}

func (w window) SetPermitJoinWindow(until time.Time, via zigbee.NWK) {
	w.d.mu.Lock()
	w.d.pjUntil, w.d.pjVia = until, via
	w.d.mu.Unlock()
}
