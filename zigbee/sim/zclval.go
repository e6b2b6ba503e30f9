package sim

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/zhubhq/zhub/zigbee/zcl"
)

// ZCL data types the virtual devices use (ZCL 8, table 2-10).
const (
	zBool    = 0x10
	zMap8    = 0x18
	zMap16   = 0x19
	zMap32   = 0x1B
	zUint8   = 0x20
	zUint16  = 0x21
	zUint24  = 0x22
	zUint32  = 0x23
	zUint48  = 0x25
	zInt8    = 0x28
	zInt16   = 0x29
	zInt24   = 0x2A
	zInt32   = 0x2B
	zEnum8   = 0x30
	zEnum16  = 0x31
	zCharStr = 0x42
	zEUI64   = 0xF0
)

// ZCL status codes (ZCL 8, table 2-12).
const (
	zclSuccess              = 0x00
	zclFailure              = 0x01
	zclMalformedCommand     = 0x80
	zclUnsupClusterCommand  = 0x81
	zclUnsupGeneralCommand  = 0x82
	zclInvalidField         = 0x85
	zclUnsupportedAttribute = 0x86
	zclInvalidValue         = 0x87
	zclReadOnly             = 0x88
	zclInvalidDataType      = 0x8D
	zclUnreportable         = 0x8C
	zclNotFound             = 0x8B
	zclUnsupportedCluster   = 0xC3
)

// zval is an attribute value: n holds every integer-like type (signed ones
// sign-extended, EUI64 as its bit pattern), s the character strings.
type zval struct {
	n int64
	s string
}

// typeLen is the encoded size of a fixed-length type, or -1.
func typeLen(t uint8) int {
	switch t {
	case zBool, zMap8, zUint8, zInt8, zEnum8:
		return 1
	case zMap16, zUint16, zInt16, zEnum16:
		return 2
	case zUint24, zInt24:
		return 3
	case zMap32, zUint32, zInt32:
		return 4
	case zUint48:
		return 6
	case zEUI64:
		return 8
	}
	return -1
}

func signedType(t uint8) bool { return t >= zInt8 && t <= zInt32 }

// analogType reports whether reportable change applies (ZCL 8 §2.6.2.2).
func analogType(t uint8) bool { return t >= 0x20 && t <= 0x2F }

func appendZval(dst []byte, t uint8, v zval) []byte {
	if t == zCharStr {
		s := v.s
		if len(s) > 254 {
			s = s[:254]
		}
		return append(append(dst, byte(len(s))), s...)
	}
	n := typeLen(t)
	var tmp [8]byte
	binary.LittleEndian.PutUint64(tmp[:], uint64(v.n))
	return append(dst, tmp[:n]...)
}

// readZval decodes one value of type t; ok is false when b is too short or
// the type is not supported.
func readZval(b []byte, t uint8) (v zval, n int, ok bool) {
	if t == zCharStr {
		if len(b) < 1 {
			return zval{}, 0, false
		}
		l := int(b[0])
		if l == 0xFF {
			return zval{}, 1, true
		}
		if len(b) < 1+l {
			return zval{}, 0, false
		}
		return zval{s: string(b[1 : 1+l])}, 1 + l, true
	}
	n = typeLen(t)
	if n < 0 || len(b) < n {
		return zval{}, 0, false
	}
	var tmp [8]byte
	copy(tmp[:], b[:n])
	u := binary.LittleEndian.Uint64(tmp[:])
	if signedType(t) && n < 8 {
		shift := uint(64 - 8*n)
		return zval{n: int64(u<<shift) >> shift}, n, true
	}
	return zval{n: int64(u)}, n, true
}

// encodeZvalText is the persisted form "TT:HEX".
func encodeZvalText(t uint8, v zval) string {
	return fmt.Sprintf("%02x:%s", t, hex.EncodeToString(appendZval(nil, t, v)))
}

func decodeZvalText(s string) (uint8, zval, error) {
	ts, hs, ok := strings.Cut(s, ":")
	if !ok {
		return 0, zval{}, fmt.Errorf("attribute value %q: want TT:HEX", s)
	}
	t, err := strconv.ParseUint(ts, 16, 8)
	if err != nil {
		return 0, zval{}, fmt.Errorf("attribute value %q: %w", s, err)
	}
	b, err := hex.DecodeString(hs)
	if err != nil {
		return 0, zval{}, fmt.Errorf("attribute value %q: %w", s, err)
	}
	v, _, ok := readZval(b, uint8(t))
	if !ok {
		return 0, zval{}, fmt.Errorf("attribute value %q: bad encoding", s)
	}
	return uint8(t), v, nil
}

// zclHeader is the ZCL frame header (ZCL 8 §2.4.1).
type zclHeader struct {
	fc      uint8
	mfr     uint16
	tsn     uint8
	cmd     uint8
	payload []byte
}

const (
	fcClusterSpecific = 0x01
	fcMfrSpecific     = 0x04
	fcServerToClient  = 0x08
	fcDisableDefRsp   = 0x10
)

// parseZCL decodes the header with the shared ZCL codec (zigbee/zcl).
func parseZCL(b []byte) (zclHeader, bool) {
	f, err := zcl.ParseFrame(b)
	if err != nil {
		return zclHeader{}, false
	}
	h := zclHeader{fc: uint8(f.Type) | f.Reserved<<5, mfr: f.ManufacturerCode, tsn: f.TSN, cmd: uint8(f.Command), payload: f.Payload}
	if f.ManufacturerSpecific {
		h.fc |= fcMfrSpecific
	}
	if f.Direction == zcl.ServerToClient {
		h.fc |= fcServerToClient
	}
	if f.DisableDefaultResponse {
		h.fc |= fcDisableDefRsp
	}
	return h, true
}

func (h zclHeader) clusterSpecific() bool { return h.fc&0x03 == fcClusterSpecific }

// appendZCL encodes a frame with the shared ZCL codec from a frame
// control byte.
func appendZCL(dst []byte, fc uint8, mfr uint16, tsn, cmd uint8, payload []byte) []byte {
	f := zcl.Frame{
		Type:                   zcl.FrameType(fc & 0x03),
		ManufacturerSpecific:   fc&fcMfrSpecific != 0,
		ManufacturerCode:       mfr,
		DisableDefaultResponse: fc&fcDisableDefRsp != 0,
		TSN:                    tsn,
		Command:                zcl.CommandID(cmd),
		Payload:                payload,
	}
	if fc&fcServerToClient != 0 {
		f.Direction = zcl.ServerToClient
	}
	return f.AppendTo(dst)
}
