package zdo

import (
	"encoding/binary"

	"github.com/zhubhq/zhub/zigbee"
)

// reader decodes little-endian fields and keeps the first failure.
type reader struct {
	b   []byte
	i   int
	err error
	off int
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err, r.off = err, r.i
	}
}

func (r *reader) left() int { return len(r.b) - r.i }

func (r *reader) u8() uint8 {
	if r.err != nil {
		return 0
	}
	if r.left() < 1 {
		r.fail(ErrTruncated)
		return 0
	}
	v := r.b[r.i]
	r.i++
	return v
}

func (r *reader) u16() uint16 {
	if r.err != nil {
		return 0
	}
	if r.left() < 2 {
		r.fail(ErrTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.i:])
	r.i += 2
	return v
}

func (r *reader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	if r.left() < 4 {
		r.fail(ErrTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.i:])
	r.i += 4
	return v
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if r.left() < 8 {
		r.fail(ErrTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.i:])
	r.i += 8
	return v
}

func (r *reader) nwk() zigbee.NWK   { return zigbee.NWK(r.u16()) }
func (r *reader) ieee() zigbee.IEEE { return zigbee.IEEE(r.u64()) }

// count reads a list length and checks that size bytes per element are
// there, so a hostile count cannot make us allocate.
func (r *reader) count(size int) int {
	n := int(r.u8())
	if r.err == nil && n*size > r.left() {
		r.fail(ErrTruncated)
		return 0
	}
	return n
}

func (r *reader) clusters() []zigbee.ClusterID {
	n := r.count(2)
	if n == 0 {
		return nil
	}
	out := make([]zigbee.ClusterID, n)
	for i := range out {
		out[i] = zigbee.ClusterID(r.u16())
	}
	return out
}

func (r *reader) endpoints() []zigbee.Endpoint {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	out := make([]zigbee.Endpoint, n)
	for i := range out {
		out[i] = zigbee.Endpoint(r.u8())
	}
	return out
}

// done returns the error for op. Trailing bytes are allowed: later
// Zigbee revisions append fields and TLVs to several messages (R23).
func (r *reader) done(op string) error {
	if r.err != nil {
		return &DecodeError{Op: op, Offset: r.off, Err: r.err}
	}
	return nil
}

func appendU16(dst []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(dst, v) }
func appendU64(dst []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(dst, v) }

func appendClusters(dst []byte, cs []zigbee.ClusterID) []byte {
	cs = cs[:min(len(cs), 255)]
	dst = append(dst, byte(len(cs)))
	for _, c := range cs {
		dst = appendU16(dst, uint16(c))
	}
	return dst
}

func appendEndpoints(dst []byte, eps []zigbee.Endpoint) []byte {
	eps = eps[:min(len(eps), 255)]
	dst = append(dst, byte(len(eps)))
	for _, e := range eps {
		dst = append(dst, byte(e))
	}
	return dst
}

func boolBit(b bool, bit uint8) uint8 {
	if b {
		return bit
	}
	return 0
}
