package znp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// AF payload limits. AF_DATA_REQUEST has 10 header bytes, the _EXT form 20;
// larger payloads would need AF_DATA_STORE, which the driver does not use.
const (
	// maxShortPayload is the largest payload sent with AF_DATA_REQUEST;
	// longer ones use AF_DATA_REQUEST_EXT.
	maxShortPayload = 100
	// MaxSendPayload is the largest APS payload Send accepts.
	MaxSendPayload = MaxPayload - 20
	retrieveChunk  = 240
)

// Send transmits an APS frame with AF_DATA_REQUEST (unicast to a NWK
// address with a short payload) or AF_DATA_REQUEST_EXT (groups,
// broadcasts, IEEE destinations, long payloads) and waits for
// AF_DATA_CONFIRM. A non-zero status fails with a *zigbee.StatusError whose
// Reason is zigbee.ErrDeliveryFailed. At most MaxTransactions calls (with
// ZDORequest) are in flight; more wait for a slot.
//
// The source endpoint decides the profile (AF frames carry none): when
// f.SrcEndpoint is 0 the registered endpoint of f.Profile is used, else
// endpoint 1. A broadcast whose confirmation does not come is not an error
// (herdsman does not wait for one at all).
func (d *Driver) Send(ctx context.Context, f zigbee.APSFrame) error {
	s, err := d.active()
	if err != nil {
		return err
	}
	if err := d.txSem.Acquire(ctx); err != nil {
		return fmt.Errorf("znp: send %v: %w", f, err)
	}
	defer d.txSem.Release()
	return s.send(ctx, f)
}

func (s *session) send(ctx context.Context, f zigbee.APSFrame) error {
	src := f.SrcEndpoint
	if src == 0 {
		src = s.endpointFor(f.Profile)
	}
	tid := s.d.allocTID()
	defer s.d.freeTID(tid)
	req, err := dataRequest(f, src, tid)
	if err != nil {
		return err
	}
	w := s.c.expect(func(c Frame) bool {
		return c.Header == cmdAFDataConfirm && len(c.Payload) >= 3 && c.Payload[1] == byte(src) && c.Payload[2] == tid
	})
	rsp, err := s.c.request(ctx, req)
	if err == nil {
		err = statusErr(cmdName(req.Header), rsp.Payload, zigbee.ErrDeliveryFailed)
	}
	if err != nil {
		s.c.cancel(w)
		return fmt.Errorf("%w (sending %v)", err, f)
	}
	multicast := f.Dst.Mode == zigbee.AddrGroup || f.Dst.Mode == zigbee.AddrBroadcast || f.Dst.NWK.IsBroadcast()
	timeout := s.d.cfg.ConfirmTimeout
	if multicast {
		timeout = s.d.cfg.GroupConfirmTimeout
	}
	cf, err := s.c.wait(ctx, w, timeout, "AF_DATA_CONFIRM")
	if err != nil {
		if multicast && f.Dst.Mode != zigbee.AddrGroup && errors.Is(err, zigbee.ErrTimeout) {
			return nil
		}
		return fmt.Errorf("%w (sending %v)", err, f)
	}
	if err := statusErr("AF_DATA_CONFIRM", cf.Payload, zigbee.ErrDeliveryFailed); err != nil {
		return fmt.Errorf("%w (sending %v)", err, f)
	}
	return nil
}

// endpointFor returns the registered endpoint of a profile, else 1.
func (s *session) endpointFor(p zigbee.ProfileID) zigbee.Endpoint {
	return driverkit.EndpointFor(s.endpoints, p)
}

// profileOf returns the profile registered on an endpoint (HA when unknown).
func (s *session) profileOf(ep zigbee.Endpoint) zigbee.ProfileID {
	if p, ok := s.endpoints[ep]; ok {
		return p
	}
	return zigbee.ProfileHA
}

// dataRequest builds AF_DATA_REQUEST or AF_DATA_REQUEST_EXT
// (protocol/znp.md §5.3, §12).
func dataRequest(f zigbee.APSFrame, src zigbee.Endpoint, tid uint8) (Frame, error) {
	n := len(f.Payload)
	if n > MaxSendPayload {
		return Frame{}, fmt.Errorf("znp: send %v: payload of %d bytes is above %d: %w", f, n, MaxSendPayload, ErrFrameTooLong)
	}
	radius := f.Radius
	if radius == 0 {
		radius = zigbee.DefaultRadius
	}
	if f.Dst.Mode == zigbee.AddrNWK && !f.Dst.NWK.IsBroadcast() && n <= maxShortPayload {
		p := make([]byte, 0, 10+n)
		p = le16(p, uint16(f.Dst.NWK))
		p = append(p, byte(f.DstEndpoint), byte(src))
		p = le16(p, uint16(f.Cluster))
		p = append(p, tid, byte(f.Options), radius, byte(n))
		return Frame{cmdAFDataRequest, append(p, f.Payload...)}, nil
	}
	p := make([]byte, 0, 20+n)
	dstEp := f.DstEndpoint
	switch f.Dst.Mode {
	case zigbee.AddrGroup:
		p = le64(append(p, byte(zigbee.AddrGroup)), uint64(f.Dst.Group))
		if dstEp == 0 {
			dstEp = 0xFF
		}
	case zigbee.AddrIEEE:
		p = le64(append(p, byte(zigbee.AddrIEEE)), uint64(f.Dst.IEEE))
	case zigbee.AddrNWK, zigbee.AddrBroadcast, zigbee.AddrNotPresent:
		p = le64(append(p, byte(f.Dst.Mode)), uint64(f.Dst.NWK))
	default:
		return Frame{}, fmt.Errorf("znp: send %v: address mode %d: %w", f, f.Dst.Mode, zigbee.ErrUnsupported)
	}
	p = append(p, byte(dstEp))
	p = le16(p, 0) // own PAN
	p = append(p, byte(src))
	p = le16(p, uint16(f.Cluster))
	p = append(p, tid, byte(f.Options), radius)
	p = le16(p, uint16(n))
	return Frame{cmdAFDataRequestExt, append(p, f.Payload...)}, nil
}

// dispatch turns the callbacks nobody waited for into events, in order,
// until the conn ends.
func (s *session) dispatch(ctx context.Context) {
	for f := range s.c.Callbacks() {
		s.handle(ctx, f)
	}
}

func (s *session) handle(ctx context.Context, f Frame) {
	switch f.Header {
	case cmdSysResetInd:
		select {
		case s.reset <- struct{}{}:
		default:
		}
		return
	case cmdZDOStateChangeInd:
		if len(f.Payload) > 0 {
			s.log.Debug("device state changed", "event", "device_state", "state", int(f.Payload[0]))
		}
		return
	case cmdZDOPermitJoinInd:
		if len(f.Payload) > 0 {
			s.log.Debug("coordinator permit-join state", "event", "permit_join_ind", "duration_s", int(f.Payload[0]))
		}
		return
	}
	ev, more, err := decodeEvent(f, s.profileOf, time.Now())
	if err != nil {
		s.log.Warn("undecodable callback", "event", "callback_invalid", "cmd", cmdName(f.Header), "err", err)
		return
	}
	if more != nil {
		m := ev.(zigbee.MessageReceived)
		data, err := s.retrieve(ctx, more.timestamp, more.length)
		if err != nil {
			s.log.Warn("retrieving a large message failed", "event", "af_retrieve_failed", "nwk", m.Message.Src.String(), "err", err)
			return
		}
		m.Message.Payload = data
		ev = m
	}
	switch e := ev.(type) {
	case nil:
		s.log.Debug("callback ignored", "event", "callback_ignored", "cmd", cmdName(f.Header))
		return
	case zigbee.DeviceJoined:
		s.log.Info("device joined", "event", "device_joined", "ieee", e.IEEE.String(), "nwk", e.NWK.String(), "parent", e.Parent.String())
	case zigbee.DeviceAnnounced:
		s.log.Info("device announced", "event", "device_announced", "ieee", e.IEEE.String(), "nwk", e.NWK.String())
	case zigbee.DeviceLeft:
		s.log.Info("device left", "event", "device_left", "ieee", e.IEEE.String(), "nwk", e.NWK.String(), "rejoin", e.Rejoin)
	}
	s.d.events.Emit(ctx, ev)
}

// retrieve pulls the data of an AF_INCOMING_MSG_EXT that did not fit in
// its frame, then frees the buffer (protocol/znp.md §12.5).
func (s *session) retrieve(ctx context.Context, timestamp uint32, length int) ([]byte, error) {
	out := make([]byte, 0, length)
	for len(out) < length {
		chunk := min(length-len(out), retrieveChunk)
		p := le16(le32(nil, timestamp), uint16(len(out)))
		rsp, err := s.c.request(ctx, Frame{cmdAFDataRetrieve, append(p, byte(chunk))})
		if err != nil {
			return nil, err
		}
		r := rd{b: rsp.Payload}
		status, n := r.u8(), int(r.u8())
		data := r.take(n)
		switch {
		case r.err != nil:
			return nil, fmt.Errorf("znp: AF_DATA_RETRIEVE: %w", r.err)
		case status != 0:
			return nil, statusErr("AF_DATA_RETRIEVE", rsp.Payload, nil)
		case n != chunk:
			return nil, fmt.Errorf("znp: AF_DATA_RETRIEVE: got %d bytes, asked for %d", n, chunk)
		}
		out = append(out, data...)
	}
	p := le16(le32(nil, timestamp), 0)
	if _, err := s.c.request(ctx, Frame{cmdAFDataRetrieve, append(p, 0)}); err != nil {
		s.log.Warn("freeing a large message failed", "event", "af_retrieve_free_failed", "err", err)
	}
	return out, nil
}

// omitted describes the data of an AF_INCOMING_MSG_EXT left in the ZNP.
type omitted struct {
	timestamp uint32
	length    int
}

// decodeEvent turns a callback into an event; it returns a nil event for
// callbacks that are not events. For an AF_INCOMING_MSG_EXT whose data was
// left out, more says what to retrieve. It never panics on bad input.
func decodeEvent(f Frame, profileOf func(zigbee.Endpoint) zigbee.ProfileID, now time.Time) (ev zigbee.Event, more *omitted, err error) {
	r := rd{b: f.Payload}
	switch f.Header {
	case cmdZDOTCDevInd:
		e := zigbee.DeviceJoined{NWK: zigbee.NWK(r.u16()), IEEE: zigbee.IEEE(r.u64()), Parent: zigbee.NWK(r.u16())}
		ev = e
	case cmdZDOEndDeviceAnnce:
		r.u16() // srcAddr
		e := zigbee.DeviceAnnounced{NWK: zigbee.NWK(r.u16()), IEEE: zigbee.IEEE(r.u64()), Capabilities: r.u8()}
		ev = e
	case cmdZDOLeaveInd:
		e := zigbee.DeviceLeft{NWK: zigbee.NWK(r.u16()), IEEE: zigbee.IEEE(r.u64())}
		r.u8() // request
		r.u8() // remove children
		e.Rejoin = r.u8() != 0
		ev = e
	case cmdZDOSrcRtgInd:
		e := zigbee.RouteChanged{Dst: zigbee.NWK(r.u16())}
		n := int(r.u8())
		if r.err == nil && len(r.b) < 2*n {
			return nil, nil, fmt.Errorf("ZDO_SRC_RTG_IND: %w", errShortPayload)
		}
		e.Relay = make([]zigbee.NWK, 0, n)
		for range n {
			e.Relay = append(e.Relay, zigbee.NWK(r.u16()))
		}
		ev = e
	case cmdAFIncomingMsg:
		m := zigbee.Message{Group: r.u16(), Cluster: zigbee.ClusterID(r.u16()), Src: zigbee.NWK(r.u16()),
			SrcEndpoint: zigbee.Endpoint(r.u8()), DstEndpoint: zigbee.Endpoint(r.u8()),
			WasBroadcast: r.u8() != 0, LQI: r.u8(), Received: now}
		r.u8()  // securityUse
		r.u32() // timestamp
		r.u8()  // transSeqNum
		m.Payload = r.take(int(r.u8()))
		m.Profile = profileOf(m.DstEndpoint)
		ev = zigbee.MessageReceived{Message: m}
	case cmdAFIncomingMsgExt:
		m := zigbee.Message{Group: r.u16(), Cluster: zigbee.ClusterID(r.u16()), Received: now}
		mode := zigbee.AddrMode(r.u8())
		addr := r.u64()
		m.Src = zigbee.NWK(addr)
		if mode == zigbee.AddrIEEE {
			m.Src = zigbee.NWKInvalid // known only by IEEE address (inter-PAN)
		}
		m.SrcEndpoint = zigbee.Endpoint(r.u8())
		r.u16() // srcPanId
		m.DstEndpoint = zigbee.Endpoint(r.u8())
		m.WasBroadcast, m.LQI = r.u8() != 0, r.u8()
		r.u8() // securityUse
		ts := r.u32()
		r.u8() // transSeqNum
		n := int(r.u16())
		m.Profile = profileOf(m.DstEndpoint)
		if r.err == nil && len(r.b) < n {
			// The ZNP left the data out (a few stray bytes may remain, §12.5).
			more = &omitted{timestamp: ts, length: n}
		} else {
			m.Payload = r.take(n)
		}
		ev = zigbee.MessageReceived{Message: m}
	default:
		return nil, nil, nil
	}
	if r.err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cmdName(f.Header), r.err)
	}
	return ev, more, nil
}
