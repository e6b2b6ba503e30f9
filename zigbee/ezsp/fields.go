package ezsp

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Kind is the wire type of a Field. The Go type a decoder stores in Params
// is given in brackets; encoders also accept any integer type whose value
// fits.
type Kind uint8

// Field kinds (ezsp.md §7).
const (
	KindU8  Kind = iota + 1 // one byte [uint8]
	KindU16                 // little-endian [uint16]
	KindU32                 // little-endian [uint32]
	KindI8                  // signed byte, dBm [int8]
	// KindEUI64 is an IEEE address or extended PAN id, least significant
	// byte first on the wire [uint64].
	KindEUI64
	// KindKey is a 16-byte key, sent as-is [[]byte].
	KindKey
	// KindBytes is a byte string of Size bytes [[]byte].
	KindBytes
	// KindLV is a byte string preceded by its u8 length [[]byte].
	KindLV
	// KindU16List is a list of u16 counted by the earlier field named by
	// Ref [[]uint16]; without Ref it takes the rest of the frame.
	KindU16List
	// KindStruct is a nested record of Fields [Params].
	KindStruct
	// KindStatus is a status: one byte (EmberStatus) before v14, a u32
	// sl_status from v14 [uint32].
	KindStatus
	// KindEzspStatus is a status: one byte (EzspStatus) before v14, a u32
	// sl_status from v14 [uint32].
	KindEzspStatus
	// KindSLStatus is a u32 sl_status in every version [uint32].
	KindSLStatus
	// KindRest is every remaining byte [[]byte].
	KindRest
)

// Field describes one parameter of an EZSP frame, in wire order.
type Field struct {
	Name string
	Kind Kind
	// Size is the length of KindBytes.
	Size int
	// Ref names the earlier count field of KindU16List.
	Ref string
	// Fields is the layout of KindStruct.
	Fields []Field
	// Hex displays the number in hex in traces (addresses, clusters, masks).
	Hex bool
}

// Params holds decoded parameters by field name. A decoder stores bytes
// that follow the last field under TrailingKey (NCPs append stray bytes,
// ezsp.md §5.3); an encoder writes them back.
type Params map[string]any

// TrailingKey is the Params key of bytes after the last field.
const TrailingKey = "trailing"

// Uint returns the named numeric parameter as a uint64 (0 if absent).
func (p Params) Uint(name string) uint64 {
	v, _ := toUint(p[name])
	return v
}

// Bytes returns the named byte-string parameter.
func (p Params) Bytes(name string) []byte {
	b, _ := p[name].([]byte)
	return b
}

// Struct returns the named record parameter.
func (p Params) Struct(name string) Params {
	s, _ := p[name].(Params)
	return s
}

func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case uint:
		return uint64(x), true
	case int:
		if x < 0 {
			return 0, false
		}
		return uint64(x), true
	case int8:
		return uint64(uint8(x)), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// reader decodes little-endian values; after the first short read every
// read returns zero and err is set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		if r.err == nil {
			r.err = ErrShortParams
		}
		r.b = nil
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }

// decodeFields decodes fs from r for protocol version v.
func decodeFields(r *reader, fs []Field, v uint8) (Params, error) {
	p := Params{}
	for i := range fs {
		f := &fs[i]
		var val any
		switch f.Kind {
		case KindU8:
			val = r.u8()
		case KindU16:
			val = r.u16()
		case KindU32, KindSLStatus:
			val = r.u32()
		case KindI8:
			val = int8(r.u8())
		case KindEUI64:
			val = r.u64()
		case KindKey:
			val = clone(r.take(16))
		case KindBytes:
			val = clone(r.take(f.Size))
		case KindLV:
			val = clone(r.take(int(r.u8())))
		case KindStatus, KindEzspStatus:
			if v >= 14 {
				val = r.u32()
			} else {
				val = uint32(r.u8())
			}
		case KindU16List:
			n := len(r.b) / 2
			if f.Ref != "" {
				c, _ := toUint(p[f.Ref])
				n = int(c)
			}
			l := make([]uint16, 0, min(n, 128))
			for range n {
				if r.err != nil {
					break
				}
				l = append(l, r.u16())
			}
			val = l
		case KindStruct:
			s, err := decodeFields(r, f.Fields, v)
			if err != nil {
				return nil, fmt.Errorf("%s.%w", f.Name, err)
			}
			val = s
		case KindRest:
			val = clone(r.b)
			r.b = nil
		default:
			return nil, fmt.Errorf("%s: field kind %d: %w", f.Name, f.Kind, ErrBadValue)
		}
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, r.err)
		}
		p[f.Name] = val
	}
	return p, nil
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

// encodeFields appends the fields of fs from p for protocol version v.
// Missing numeric fields are zero; count fields referenced by a list are
// filled from the list when absent.
func encodeFields(dst []byte, fs []Field, p Params, v uint8) ([]byte, error) {
	for i := range fs {
		f := &fs[i]
		val, ok := p[f.Name]
		bad := func(why string) error {
			return fmt.Errorf("%s: %s: %w", f.Name, why, ErrBadValue)
		}
		num := func(limit uint64) (uint64, error) {
			if !ok {
				return 0, nil
			}
			if x, isInt := val.(int8); isInt && f.Kind == KindI8 {
				return uint64(uint8(x)), nil
			}
			n, isNum := toUint(val)
			if !isNum || n > limit {
				return 0, bad(fmt.Sprintf("%v (%T) does not fit", val, val))
			}
			return n, nil
		}
		switch f.Kind {
		case KindU8, KindI8:
			if !ok {
				if l := listRefLen(fs, f.Name, p); l >= 0 {
					val, ok = l, true
				}
			}
			n, err := num(math.MaxUint8)
			if err != nil {
				return dst, err
			}
			dst = append(dst, byte(n))
		case KindU16:
			n, err := num(math.MaxUint16)
			if err != nil {
				return dst, err
			}
			dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
		case KindU32, KindSLStatus:
			n, err := num(math.MaxUint32)
			if err != nil {
				return dst, err
			}
			dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
		case KindStatus, KindEzspStatus:
			if v >= 14 {
				n, err := num(math.MaxUint32)
				if err != nil {
					return dst, err
				}
				dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
			} else {
				n, err := num(math.MaxUint8)
				if err != nil {
					return dst, err
				}
				dst = append(dst, byte(n))
			}
		case KindEUI64:
			n, err := num(math.MaxUint64)
			if err != nil {
				return dst, err
			}
			dst = binary.LittleEndian.AppendUint64(dst, n)
		case KindKey, KindBytes:
			size := f.Size
			if f.Kind == KindKey {
				size = 16
			}
			b, isBytes := val.([]byte)
			if !ok {
				b, isBytes = make([]byte, size), true
			}
			if !isBytes || len(b) != size {
				return dst, bad(fmt.Sprintf("want %d bytes", size))
			}
			dst = append(dst, b...)
		case KindLV:
			b, isBytes := val.([]byte)
			if ok && !isBytes {
				return dst, bad(fmt.Sprintf("%T is not []byte", val))
			}
			if len(b) > math.MaxUint8 {
				return dst, bad("longer than 255 bytes")
			}
			dst = append(append(dst, byte(len(b))), b...)
		case KindU16List:
			l, isList := val.([]uint16)
			if ok && !isList {
				return dst, bad(fmt.Sprintf("%T is not []uint16", val))
			}
			if f.Ref != "" {
				if c, has := p[f.Ref]; has {
					if n, _ := toUint(c); int(n) != len(l) {
						return dst, bad(fmt.Sprintf("%d entries but %s is %d", len(l), f.Ref, n))
					}
				}
			}
			for _, x := range l {
				dst = binary.LittleEndian.AppendUint16(dst, x)
			}
		case KindStruct:
			s, isStruct := val.(Params)
			if ok && !isStruct {
				return dst, bad(fmt.Sprintf("%T is not Params", val))
			}
			var err error
			if dst, err = encodeFields(dst, f.Fields, s, v); err != nil {
				return dst, fmt.Errorf("%s.%w", f.Name, err)
			}
		case KindRest:
			b, isBytes := val.([]byte)
			if ok && !isBytes {
				return dst, bad(fmt.Sprintf("%T is not []byte", val))
			}
			dst = append(dst, b...)
		default:
			return dst, bad("unknown kind")
		}
	}
	return dst, nil
}

// listRefLen returns the length of the list whose count field is name, or
// -1.
func listRefLen(fs []Field, name string, p Params) int {
	for i := range fs {
		if fs[i].Kind == KindU16List && fs[i].Ref == name {
			if l, ok := p[fs[i].Name].([]uint16); ok {
				return len(l)
			}
			return 0
		}
	}
	return -1
}

// formatParams renders p in wire order of fs, e.g. "{status: SUCCESS, ...}".
func formatParams(b *strings.Builder, fs []Field, p Params, v uint8) {
	b.WriteByte('{')
	for i := range fs {
		f := &fs[i]
		val, ok := p[f.Name]
		if !ok {
			continue
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteString(": ")
		formatValue(b, f, val, v)
	}
	if t, ok := p[TrailingKey].([]byte); ok && len(t) > 0 {
		fmt.Fprintf(b, ", %s: %X", TrailingKey, t)
	}
	b.WriteByte('}')
}

func formatValue(b *strings.Builder, f *Field, val any, v uint8) {
	switch x := val.(type) {
	case Params:
		formatParams(b, f.Fields, x, v)
	case []byte:
		if f.Kind == KindKey {
			b.WriteString("[key]") // keys never reach a log or trace
			return
		}
		if len(x) == 0 {
			b.WriteString(`""`)
			return
		}
		fmt.Fprintf(b, "%X", x)
	case []uint16:
		b.WriteByte('[')
		for i, c := range x {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(b, "0x%04X", c)
		}
		b.WriteByte(']')
	case uint64:
		fmt.Fprintf(b, "%016x", x)
	case uint32:
		switch f.Kind {
		case KindStatus:
			b.WriteString(StatusName(x, v, false))
		case KindEzspStatus:
			b.WriteString(StatusName(x, v, true))
		case KindSLStatus:
			b.WriteString(SLStatusName(x))
		default:
			writeNum(b, f, uint64(x), 8)
		}
	case uint16:
		writeNum(b, f, uint64(x), 4)
	case uint8:
		writeNum(b, f, uint64(x), 2)
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

func writeNum(b *strings.Builder, f *Field, n uint64, digits int) {
	if f.Hex {
		fmt.Fprintf(b, "0x%0*X", digits, n)
		return
	}
	fmt.Fprintf(b, "%d", n)
}
