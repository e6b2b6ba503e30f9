package znp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/zhubhq/zhub/zigbee"
)

// ZDO requests go through the MT ZDO commands (ZDO_*_REQ) and their
// answers come back as the ZDO_*_RSP callbacks (protocol/znp.md §5.4,
// §5.5), as herdsman does. This needs no extra registration (only
// ZDO_DIRECT_CB, which the driver sets), works the same on every Z-Stack
// generation, and the firmware applies its own side effects (the permit-
// join self copy, channel changes). The price is a translation between the
// raw ZDP payload of the Coordinator contract and the MT layouts, and only
// the ZDP requests listed in zdoCall are supported.

// zdoCall is an MT ZDO request with how to recognise and translate its
// answer.
type zdoCall struct {
	req Frame
	// rsp is the CMD1 of the answering AREQ: 0x80 | (cluster & 0x7F).
	rsp uint8
	// match recognises the answer (the source address, or the address of
	// interest when the callback carries no source).
	match func(Frame) bool
	// convert turns the callback payload into the ZDP response payload
	// without its sequence number.
	convert func([]byte) ([]byte, error)
	// noResponse means the request has no ZDP answer (channel change).
	noResponse bool
}

// ZDORequest sends a ZDP request (payload starting with the transaction
// sequence number) to dst through the matching MT ZDO command and waits
// for the response from dst; it returns the ZDP response payload, starting
// with the request's sequence number (MT does not report the one on the
// air). Supported clusters: NWK_addr, IEEE_addr, Node_Desc, Power_Desc,
// Simple_Desc, Active_EP, Match_Desc, Bind, Unbind, Mgmt_Lqi, Mgmt_Rtg,
// Mgmt_Bind, Mgmt_Leave, Mgmt_Permit_Join and Mgmt_NWK_Update; others fail
// with zigbee.ErrUnsupported. A request that has no answer (a channel
// change) returns nil once the coordinator accepted it.
func (d *Driver) ZDORequest(ctx context.Context, dst zigbee.NWK, cluster zigbee.ClusterID, payload []byte) ([]byte, error) {
	s, err := d.active()
	if err != nil {
		return nil, err
	}
	if len(payload) < 1 {
		return nil, fmt.Errorf("znp: ZDO request %v: %w: no sequence number", cluster, ErrBadValue)
	}
	call, err := buildZDO(dst, cluster, payload[1:])
	if err != nil {
		return nil, err
	}
	if err := d.txSem.Acquire(ctx); err != nil {
		return nil, fmt.Errorf("znp: ZDO request %v: %w", cluster, err)
	}
	defer d.txSem.Release()

	name := cmdName(call.req.Header)
	rspHeader := Header{AREQ, ZDO, call.rsp}
	w := s.c.expect(func(f Frame) bool {
		if f.Header == cmdZDOStatusErrorRsp {
			return len(f.Payload) >= 2 && (dst.IsBroadcast() || zigbee.NWK(binary.LittleEndian.Uint16(f.Payload)) == dst)
		}
		return f.Header == rspHeader && call.match(f)
	})
	rsp, err := s.c.request(ctx, call.req)
	if err == nil {
		err = statusErr(name, rsp.Payload, zigbee.ErrDeliveryFailed)
	}
	if err != nil || call.noResponse {
		s.c.cancel(w)
		return nil, err
	}
	f, err := s.c.wait(ctx, w, s.d.cfg.ZDOTimeout, cmdName(rspHeader)+" from "+dst.String())
	if err != nil {
		return nil, err
	}
	if f.Header == cmdZDOStatusErrorRsp {
		code := uint8(0xFF)
		if len(f.Payload) >= 3 {
			code = f.Payload[2]
		}
		return nil, fmt.Errorf("znp: %w", &zigbee.StatusError{Op: cmdName(rspHeader), Code: code, Name: zdpStatusName(code)})
	}
	out, err := call.convert(f.Payload)
	if err != nil {
		return nil, fmt.Errorf("znp: %s: %w", cmdName(rspHeader), err)
	}
	return append([]byte{payload[0]}, out...), nil
}

// fromSrc matches callbacks whose first field is the source address dst
// (any source for broadcast destinations).
func fromSrc(dst zigbee.NWK) func(Frame) bool {
	return func(f Frame) bool {
		return len(f.Payload) >= 2 && (dst.IsBroadcast() || zigbee.NWK(binary.LittleEndian.Uint16(f.Payload)) == dst)
	}
}

// dropSrc removes the leading source address of a ZDO callback.
func dropSrc(p []byte) ([]byte, error) {
	if len(p) < 3 {
		return nil, errShortPayload
	}
	return p[2:], nil
}

// addrRsp converts ZDO_NWK_ADDR_RSP / ZDO_IEEE_ADDR_RSP (status, ieee, nwk,
// startIndex, numAssoc, list — MT order, znp.md §16) to the ZDP layout
// (status, ieee, nwk, then for extended requests numAssoc and, when there
// are devices, startIndex and the list; Zigbee spec §2.4.4.2.1).
func addrRsp(extended bool) func([]byte) ([]byte, error) {
	return func(p []byte) ([]byte, error) {
		if len(p) < 11 {
			return nil, errShortPayload
		}
		out := bytes.Clone(p[:11])
		if !extended || len(p) < 13 {
			return out, nil
		}
		start, n := p[11], int(p[12])
		if len(p) < 13+2*n {
			return nil, errShortPayload
		}
		out = append(out, byte(n))
		if n == 0 {
			return out, nil
		}
		out = append(out, start)
		return append(out, p[13:13+2*n]...), nil
	}
}

func zdoErr(cluster zigbee.ClusterID, why string) error {
	return fmt.Errorf("znp: ZDO request %v: %w: %s", cluster, ErrBadValue, why)
}

// buildZDO translates a ZDP request (payload without the sequence number)
// to its MT command (protocol/znp.md §5.4).
func buildZDO(dst zigbee.NWK, cluster zigbee.ClusterID, p []byte) (zdoCall, error) {
	call := zdoCall{rsp: 0x80 | uint8(cluster&0x7F), match: fromSrc(dst), convert: dropSrc}
	withDst := func(id uint8, rest []byte) Frame {
		return Frame{Header{SREQ, ZDO, id}, append(le16(make([]byte, 0, 2+len(rest)), uint16(dst)), rest...)}
	}
	need := func(n int) error {
		if len(p) < n {
			return zdoErr(cluster, fmt.Sprintf("payload of %d bytes, want at least %d", len(p), n))
		}
		return nil
	}
	switch cluster {
	case 0x0000: // NWK_addr_req: ieee, requestType, startIndex (broadcast by the stack)
		if err := need(10); err != nil {
			return call, err
		}
		ieee := bytes.Clone(p[:8])
		call.req = Frame{Header{SREQ, ZDO, 0x00}, bytes.Clone(p[:10])}
		call.match = func(f Frame) bool { return len(f.Payload) >= 9 && bytes.Equal(f.Payload[1:9], ieee) }
		call.convert = addrRsp(p[8] == 1)
	case 0x0001: // IEEE_addr_req: nwkOfInterest, requestType, startIndex
		if err := need(4); err != nil {
			return call, err
		}
		nwk := bytes.Clone(p[:2])
		call.req = Frame{Header{SREQ, ZDO, 0x01}, bytes.Clone(p[:4])}
		call.match = func(f Frame) bool { return len(f.Payload) >= 11 && bytes.Equal(f.Payload[9:11], nwk) }
		call.convert = addrRsp(p[2] == 1)
	case 0x0002, 0x0003, 0x0005: // Node_Desc, Power_Desc, Active_EP: nwkOfInterest
		if err := need(2); err != nil {
			return call, err
		}
		call.req = withDst(uint8(cluster), p[:2])
	case 0x0004: // Simple_Desc: nwkOfInterest, endpoint
		if err := need(3); err != nil {
			return call, err
		}
		call.req = withDst(0x04, p[:3])
	case 0x0006: // Match_Desc: nwkOfInterest, profile, in list, out list
		if err := need(5); err != nil {
			return call, err
		}
		n := 5 + 2*int(p[4])
		if err := need(n + 1); err != nil {
			return call, err
		}
		n += 1 + 2*int(p[n])
		if err := need(n); err != nil {
			return call, err
		}
		call.req = withDst(0x06, p[:n])
	case 0x0021, 0x0022: // Bind, Unbind: srcIEEE, srcEp, cluster, dstMode, dst (2 or 8+1)
		if err := need(12); err != nil {
			return call, err
		}
		q := bytes.Clone(p[:12])
		switch mode := p[11]; mode {
		case byte(zigbee.AddrGroup):
			if err := need(14); err != nil {
				return call, err
			}
			q = append(q, p[12], p[13], 0, 0, 0, 0, 0, 0, 0)
		case byte(zigbee.AddrIEEE):
			if err := need(21); err != nil {
				return call, err
			}
			q = append(q, p[12:21]...)
		default:
			return call, zdoErr(cluster, fmt.Sprintf("destination address mode %d", mode))
		}
		call.req = withDst(uint8(cluster), q)
	case 0x0031, 0x0032, 0x0033: // Mgmt_Lqi, Mgmt_Rtg, Mgmt_Bind: startIndex
		if err := need(1); err != nil {
			return call, err
		}
		call.req = withDst(uint8(cluster), p[:1])
	case 0x0034: // Mgmt_Leave: deviceIEEE, flags (bit 6 remove children, bit 7 rejoin)
		if err := need(9); err != nil {
			return call, err
		}
		var flags byte
		if p[8]&0x80 != 0 {
			flags |= 0x01 // MT: bit 0 rejoin
		}
		if p[8]&0x40 != 0 {
			flags |= 0x02 // MT: bit 1 remove children
		}
		call.req = withDst(0x34, append(bytes.Clone(p[:8]), flags))
	case 0x0036: // Mgmt_Permit_Join: duration, tcSignificance
		if err := need(2); err != nil {
			return call, err
		}
		mode := byte(zigbee.AddrNWK)
		if dst.IsBroadcast() {
			mode = byte(zigbee.AddrBroadcast)
			call.match = func(Frame) bool { return true } // the coordinator's self copy answers (§11.1)
		}
		call.req = Frame{cmdZDOPermitJoinReq, append(le16([]byte{mode}, uint16(dst)), p[0], p[1])}
	case 0x0038: // Mgmt_NWK_Update: channelMask, scanDuration, [scanCount | nwkUpdateId [, managerAddr]]
		if err := need(5); err != nil {
			return call, err
		}
		mode := byte(zigbee.AddrNWK)
		if dst.IsBroadcast() {
			mode = byte(zigbee.AddrBroadcast)
		}
		q := append([]byte{mode}, p[:5]...)
		var count byte
		var manager uint16
		switch dur := p[4]; {
		case dur <= 5:
			if err := need(6); err != nil {
				return call, err
			}
			count = p[5]
		case dur == 0xFF:
			if err := need(8); err != nil {
				return call, err
			}
			manager = binary.LittleEndian.Uint16(p[6:])
			call.noResponse = true
		default: // 0xFE: channel change
			call.noResponse = true
		}
		q = le16(append(q, count), manager)
		call.req = withDst(0x37, q)
	default:
		return call, fmt.Errorf("znp: ZDO request %v: %w", cluster, zigbee.ErrUnsupported)
	}
	return call, nil
}
