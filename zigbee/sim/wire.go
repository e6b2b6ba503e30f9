package sim

import (
	"encoding/binary"

	"github.com/zhubhq/zhub/zigbee"
)

// buf builds little-endian payloads. The sim encodes its answers by hand
// from the layouts in protocol/znp.md §5 rather than through the driver's
// command tables, so that a bug shared by both cannot hide (architecture.md:
// "a shared codec can make the driver and the sim agree on the same bug").
type buf []byte

func (b *buf) u8(v uint8) *buf   { *b = append(*b, v); return b }
func (b *buf) u16(v uint16) *buf { *b = binary.LittleEndian.AppendUint16(*b, v); return b }
func (b *buf) u32(v uint32) *buf { *b = binary.LittleEndian.AppendUint32(*b, v); return b }
func (b *buf) bytes(p []byte) *buf {
	*b = append(*b, p...)
	return b
}
func (b *buf) ieee(a zigbee.IEEE) *buf {
	*b = binary.LittleEndian.AppendUint64(*b, uint64(a))
	return b
}
func (b *buf) u64(v uint64) *buf { *b = binary.LittleEndian.AppendUint64(*b, v); return b }

// rd reads little-endian fields; after a short read ok is false and every
// further read returns zero, so handlers check ok once at the end.
type rd struct {
	b  []byte
	ok bool
}

func newRd(b []byte) *rd { return &rd{b: b, ok: true} }

func (r *rd) take(n int) []byte {
	if !r.ok || len(r.b) < n {
		r.ok = false
		r.b = nil
		return make([]byte, n)
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}
func (r *rd) u8() uint8         { return r.take(1)[0] }
func (r *rd) u16() uint16       { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *rd) u32() uint32       { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *rd) u64() uint64       { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *rd) ieee() zigbee.IEEE { return zigbee.IEEE(r.u64()) }
func (r *rd) rest() []byte {
	p := r.b
	r.b = nil
	return p
}
func (r *rd) left() int { return len(r.b) }
