package zcl

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// MaxNesting bounds how deep arrays, sets, bags and structs may nest inside
// each other when decoding, so hostile input cannot exhaust the stack.
const MaxNesting = 8

// Value is a ZCL attribute value of a given DataType.
//
// Fixed-width values keep their wire bits, so any decoded value re-encodes
// byte for byte, including sentinels and NaN payloads. Build values with
// the constructors (Uint16, Int16, CharString, NewUint, ...); the zero
// Value is nodata.
type Value struct {
	Type  DataType
	elem  DataType // element type of an array, set or bag
	null  bool     // a string or collection sent with the invalid length 0xFF/0xFFFF
	bits  uint64   // fixed-width value, zero-extended
	bytes []byte   // string contents, security key
	elems []Value  // array, set, bag and struct members
}

// NoData returns the nodata value.
func NoData() Value { return Value{Type: TypeNoData} }

// NewUint returns a fixed-width value of type t holding v truncated to the
// type's width. It suits unsigned, enum, bitmap, data, bool, id, date and
// time types; for signed types the bits are taken as two's complement.
func NewUint(t DataType, v uint64) Value {
	return Value{Type: t, bits: v & widthMask(t)}
}

// NewInt returns a fixed-width value of type t holding v in two's
// complement, truncated to the type's width. For float types it converts.
func NewInt(t DataType, v int64) Value {
	if typeTable[t].kind == kindFloat {
		return NewFloat(t, float64(v))
	}
	return NewUint(t, uint64(v))
}

// NewFloat returns a semi, single or double precision value (rounding to
// nearest even). For integer types it truncates toward zero.
func NewFloat(t DataType, f float64) Value {
	switch t {
	case TypeSemiFloat:
		return Value{Type: t, bits: uint64(float16bits(f))}
	case TypeFloat:
		return Value{Type: t, bits: uint64(math.Float32bits(float32(f)))}
	case TypeDouble:
		return Value{Type: t, bits: math.Float64bits(f)}
	}
	return NewInt(t, int64(f))
}

// Shorthand constructors for the common types.

func Bool(b bool) Value {
	if b {
		return Value{Type: TypeBool, bits: 1}
	}
	return Value{Type: TypeBool}
}
func Uint8(v uint8) Value     { return Value{Type: TypeUint8, bits: uint64(v)} }
func Uint16(v uint16) Value   { return Value{Type: TypeUint16, bits: uint64(v)} }
func Uint24(v uint32) Value   { return NewUint(TypeUint24, uint64(v)) }
func Uint32(v uint32) Value   { return Value{Type: TypeUint32, bits: uint64(v)} }
func Uint48(v uint64) Value   { return NewUint(TypeUint48, v) }
func Uint64(v uint64) Value   { return Value{Type: TypeUint64, bits: v} }
func Int8(v int8) Value       { return NewInt(TypeInt8, int64(v)) }
func Int16(v int16) Value     { return NewInt(TypeInt16, int64(v)) }
func Int24(v int32) Value     { return NewInt(TypeInt24, int64(v)) }
func Int32(v int32) Value     { return NewInt(TypeInt32, int64(v)) }
func Enum8(v uint8) Value     { return Value{Type: TypeEnum8, bits: uint64(v)} }
func Enum16(v uint16) Value   { return Value{Type: TypeEnum16, bits: uint64(v)} }
func Bitmap8(v uint8) Value   { return Value{Type: TypeBitmap8, bits: uint64(v)} }
func Bitmap16(v uint16) Value { return Value{Type: TypeBitmap16, bits: uint64(v)} }
func Bitmap32(v uint32) Value { return Value{Type: TypeBitmap32, bits: uint64(v)} }
func Float32(v float32) Value { return Value{Type: TypeFloat, bits: uint64(math.Float32bits(v))} }
func ClusterIDValue(c zigbee.ClusterID) Value {
	return Value{Type: TypeClusterID, bits: uint64(c)}
}
func EUI64(a zigbee.IEEE) Value { return Value{Type: TypeEUI64, bits: uint64(a)} }

// CharString returns a character string (1-byte length). Strings longer
// than 254 bytes do not fit and are truncated; use LongCharString.
func CharString(s string) Value { return NewString(TypeCharString, []byte(s)) }

// OctetString returns an octet string (1-byte length), truncated to 254 bytes.
func OctetString(b []byte) Value { return NewString(TypeOctetString, b) }

// LongCharString returns a character string with a 2-byte length.
func LongCharString(s string) Value { return NewString(TypeLongCharString, []byte(s)) }

// NewString returns a string value of type t (one of the four string
// types), truncated to the longest valid length (254 or 65534 bytes). The
// bytes are copied.
func NewString(t DataType, b []byte) Value {
	limit := 0xFE
	if t.IsLongString() {
		limit = 0xFFFE
	}
	if len(b) > limit {
		b = b[:limit]
	}
	return Value{Type: t, bytes: append([]byte{}, b...)}
}

// SecurityKey returns a 128-bit security key value.
func SecurityKey(k [16]byte) Value {
	return Value{Type: TypeSecKey128, bytes: append([]byte{}, k[:]...)}
}

// NewArray returns an array of elements of type elem. Elements whose Type
// differs from elem are encoded as if they had type elem.
func NewArray(elem DataType, elems ...Value) Value {
	return Value{Type: TypeArray, elem: elem, elems: elems}
}

// NewSet returns a set (decoded and encoded like an array; ZCL does not
// let a set hold duplicates, which is the sender's business).
func NewSet(elem DataType, elems ...Value) Value {
	return Value{Type: TypeSet, elem: elem, elems: elems}
}

// NewBag returns a bag.
func NewBag(elem DataType, elems ...Value) Value {
	return Value{Type: TypeBag, elem: elem, elems: elems}
}

// NewStruct returns a structure; each member carries its own type.
func NewStruct(elems ...Value) Value { return Value{Type: TypeStruct, elems: elems} }

// NewUTC returns a UTCTime value: seconds since 2000-01-01 00:00:00 UTC.
func NewUTC(t time.Time) Value {
	return Value{Type: TypeUTC, bits: uint64(uint32(t.Unix() - zclEpoch))}
}

// NewTimeOfDay returns a time of day; 0xFF in a field means "don't care".
func NewTimeOfDay(hours, minutes, seconds, hundredths uint8) Value {
	return Value{Type: TypeTimeOfDay, bits: uint64(hours) | uint64(minutes)<<8 | uint64(seconds)<<16 | uint64(hundredths)<<24}
}

// NewDate returns a date; year is the calendar year (1900–2154), weekday is
// 1 (Monday) to 7; 0xFF in a field means "don't care".
func NewDate(year int, month, day, weekday uint8) Value {
	y := uint64(0xFF)
	if year >= 1900 && year < 1900+255 {
		y = uint64(year - 1900)
	}
	return Value{Type: TypeDate, bits: y | uint64(month)<<8 | uint64(day)<<16 | uint64(weekday)<<24}
}

// zclEpoch is 2000-01-01 00:00:00 UTC as a Unix time (ZCL §2.6.2.19).
const zclEpoch = 946684800

// Invalid returns the non-value ("invalid") of type t (ZCL Table 2-10):
// all ones for unsigned, enums, ids, times and EUI64; the most negative
// number for signed types; NaN for floats; 0xFF for bool; length
// 0xFF/0xFFFF for strings and collections. Data, bitmap and key types have
// no non-value; for them it returns zero.
func Invalid(t DataType) Value {
	v := Value{Type: t}
	switch k := typeTable[t].kind; k {
	case kindBool:
		v.bits = 0xFF
	case kindUint:
		v.bits = widthMask(t)
	case kindInt:
		v.bits = 1 << (8*t.Size() - 1)
	case kindFloat:
		switch t {
		case TypeSemiFloat:
			v.bits = 0x7E00
		case TypeFloat:
			v.bits = 0x7FC00000
		default:
			v.bits = 0x7FF8000000000000
		}
	case kindString, kindArray, kindStruct:
		v.null = true
	case kindKey:
		v.bytes = make([]byte, 16)
	}
	return v
}

// IsInvalid reports whether v is its type's non-value (see Invalid); any
// NaN counts for floats.
func (v Value) IsInvalid() bool {
	switch typeTable[v.Type].kind {
	case kindBool:
		return v.bits == 0xFF
	case kindUint:
		return v.bits == widthMask(v.Type)
	case kindInt:
		return v.bits == 1<<(8*v.Type.Size()-1)
	case kindFloat:
		return math.IsNaN(v.Float())
	case kindString, kindArray, kindStruct:
		return v.null
	}
	return false
}

func widthMask(t DataType) uint64 {
	n := t.Size()
	if n >= 8 {
		return math.MaxUint64
	}
	return 1<<(8*n) - 1
}

// Uint returns v as an unsigned integer: the raw bits of unsigned, enum,
// bitmap, data, id and time types; the value of signed types converted
// (negative numbers wrap); floats truncated; 1 or 0 for bool.
func (v Value) Uint() uint64 {
	switch typeTable[v.Type].kind {
	case kindInt:
		return uint64(v.Int())
	case kindFloat:
		return uint64(v.Float())
	}
	return v.bits
}

// Int returns v as a signed integer, sign-extending signed types of any
// width.
func (v Value) Int() int64 {
	switch typeTable[v.Type].kind {
	case kindInt:
		shift := 64 - 8*v.Type.Size()
		return int64(v.bits<<shift) >> shift
	case kindFloat:
		return int64(v.Float())
	}
	return int64(v.bits)
}

// Float returns v as a float64: floats decoded, integers converted.
func (v Value) Float() float64 {
	switch v.Type {
	case TypeSemiFloat:
		return float16val(uint16(v.bits))
	case TypeFloat:
		return float64(math.Float32frombits(uint32(v.bits)))
	case TypeDouble:
		return math.Float64frombits(v.bits)
	}
	if v.Type.IsSigned() {
		return float64(v.Int())
	}
	return float64(v.bits)
}

// Bool reports whether v is true: a bool holding 0x01, or any other
// fixed-width value that is not zero. The bool non-value 0xFF is false.
func (v Value) Bool() bool {
	if v.Type == TypeBool {
		return v.bits == 1
	}
	return v.bits != 0
}

// Bytes returns the contents of a string or key (nil for a null string),
// and the little-endian wire bytes of other fixed-width values.
func (v Value) Bytes() []byte {
	switch typeTable[v.Type].kind {
	case kindString, kindKey:
		return v.bytes
	case kindNone, kindArray, kindStruct, kindUndefined:
		return nil
	}
	return v.AppendTo(nil)
}

// Elems returns the members of an array, set, bag or struct.
func (v Value) Elems() []Value { return v.elems }

// ElemType returns the element type of an array, set or bag.
func (v Value) ElemType() DataType { return v.elem }

// IEEE returns an EUI64 value as an address.
func (v Value) IEEE() zigbee.IEEE { return zigbee.IEEE(v.bits) }

// Time returns a UTCTime value as a time.Time.
func (v Value) Time() time.Time { return time.Unix(int64(v.bits)+zclEpoch, 0).UTC() }

// String returns the text of a character string, and a readable form of
// any other value (decimal numbers, hex octets, "invalid" for non-values,
// [a b] for arrays and {a b} for structs).
func (v Value) String() string {
	k := typeTable[v.Type].kind
	if v.IsInvalid() && k != kindString {
		return "invalid"
	}
	switch k {
	case kindNone:
		return ""
	case kindBool:
		return strconv.FormatBool(v.Bool())
	case kindData:
		return fmt.Sprintf("0x%0*X", 2*v.Type.Size(), v.bits)
	case kindUint:
		switch v.Type {
		case TypeEUI64:
			return v.IEEE().String()
		case TypeClusterID, TypeAttributeID, TypeEnum16, TypeEnum8:
			return fmt.Sprintf("0x%0*X", 2*v.Type.Size(), v.bits)
		case TypeUTC:
			return v.Time().Format(time.RFC3339)
		}
		return strconv.FormatUint(v.bits, 10)
	case kindInt:
		return strconv.FormatInt(v.Int(), 10)
	case kindFloat:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case kindString:
		if v.Type == TypeCharString || v.Type == TypeLongCharString {
			return string(v.bytes)
		}
		return hex.EncodeToString(v.bytes)
	case kindKey:
		return "[redacted key]" // keys never reach a log by accident
	case kindArray, kindStruct:
		var sb strings.Builder
		open, end := "[", "]"
		if k == kindStruct {
			open, end = "{", "}"
		}
		sb.WriteString(open)
		for i, e := range v.elems {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(e.String())
		}
		sb.WriteString(end)
		return sb.String()
	}
	return fmt.Sprintf("%v(%x)", v.Type, v.bits)
}

// Equal reports whether v and o have the same type and encode to the same
// bytes.
func (v Value) Equal(o Value) bool {
	if v.Type != o.Type || v.elem != o.elem || v.null != o.null || v.bits != o.bits ||
		string(v.bytes) != string(o.bytes) || len(v.elems) != len(o.elems) {
		return false
	}
	for i := range v.elems {
		if !v.elems[i].Equal(o.elems[i]) {
			return false
		}
	}
	return true
}

// AppendTo appends the encoded value (without its type id) to dst.
func (v Value) AppendTo(dst []byte) []byte {
	return v.appendAs(dst, v.Type)
}

// AppendTyped appends the type id and then the value.
func (v Value) AppendTyped(dst []byte) []byte {
	return v.appendAs(append(dst, byte(v.Type)), v.Type)
}

func (v Value) appendAs(dst []byte, t DataType) []byte {
	switch typeTable[t].kind {
	case kindData, kindBool, kindUint, kindInt, kindFloat:
		for i := range t.Size() {
			dst = append(dst, byte(v.bits>>(8*i)))
		}
	case kindKey:
		var k [16]byte
		copy(k[:], v.bytes)
		dst = append(dst, k[:]...)
	case kindString:
		long := t.IsLongString()
		switch {
		case v.null && long:
			dst = append(dst, 0xFF, 0xFF)
		case v.null:
			dst = append(dst, 0xFF)
		case long:
			b := v.bytes[:min(len(v.bytes), 0xFFFE)]
			dst = binary.LittleEndian.AppendUint16(dst, uint16(len(b)))
			dst = append(dst, b...)
		default:
			b := v.bytes[:min(len(v.bytes), 0xFE)]
			dst = append(dst, byte(len(b)))
			dst = append(dst, b...)
		}
	case kindArray:
		dst = append(dst, byte(v.elem))
		if v.null {
			return append(dst, 0xFF, 0xFF)
		}
		n := min(len(v.elems), 0xFFFE)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
		for _, e := range v.elems[:n] {
			dst = e.appendAs(dst, v.elem)
		}
	case kindStruct:
		if v.null {
			return append(dst, 0xFF, 0xFF)
		}
		n := min(len(v.elems), 0xFFFE)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
		for _, e := range v.elems[:n] {
			dst = e.AppendTyped(dst)
		}
	}
	return dst
}

// DecodeValue decodes one value of type t from the start of b and returns
// it with the number of bytes it used. The value does not alias b.
func DecodeValue(t DataType, b []byte) (Value, int, error) {
	v, n, err := decodeValue(t, b, 0)
	if err != nil {
		return Value{}, 0, decodeErr("value "+t.String(), n, err)
	}
	return v, n, nil
}

// DecodeTypedValue decodes a type id followed by a value of that type.
func DecodeTypedValue(b []byte) (Value, int, error) {
	if len(b) < 1 {
		return Value{}, 0, decodeErr("typed value", 0, ErrTruncated)
	}
	v, n, err := decodeValue(DataType(b[0]), b[1:], 0)
	if err != nil {
		return Value{}, 0, decodeErr("value "+DataType(b[0]).String(), 1+n, err)
	}
	return v, 1 + n, nil
}

// decodeValue returns, on error, the offset where decoding stopped.
func decodeValue(t DataType, b []byte, depth int) (Value, int, error) {
	ti := typeTable[t]
	switch ti.kind {
	case kindUndefined:
		return Value{}, 0, ErrUnknownType
	case kindNone:
		return Value{Type: t}, 0, nil
	case kindData, kindBool, kindUint, kindInt, kindFloat:
		n := int(ti.size)
		if len(b) < n {
			return Value{}, len(b), ErrTruncated
		}
		var x uint64
		for i := n - 1; i >= 0; i-- {
			x = x<<8 | uint64(b[i])
		}
		return Value{Type: t, bits: x}, n, nil
	case kindKey:
		if len(b) < 16 {
			return Value{}, len(b), ErrTruncated
		}
		return Value{Type: t, bytes: append([]byte{}, b[:16]...)}, 16, nil
	case kindString:
		hdr, n := 1, 0
		if len(b) < 1 {
			return Value{}, 0, ErrTruncated
		}
		if t.IsLongString() {
			if len(b) < 2 {
				return Value{}, len(b), ErrTruncated
			}
			hdr, n = 2, int(binary.LittleEndian.Uint16(b))
			if n == 0xFFFF {
				return Value{Type: t, null: true}, 2, nil
			}
		} else {
			n = int(b[0])
			if n == 0xFF {
				return Value{Type: t, null: true}, 1, nil
			}
		}
		if len(b) < hdr+n {
			return Value{}, len(b), ErrTruncated
		}
		return Value{Type: t, bytes: append([]byte{}, b[hdr:hdr+n]...)}, hdr + n, nil
	case kindArray, kindStruct:
		return decodeCollection(t, b, depth)
	}
	return Value{}, 0, ErrUnknownType
}

func decodeCollection(t DataType, b []byte, depth int) (Value, int, error) {
	if depth >= MaxNesting {
		return Value{}, 0, ErrBadValue
	}
	v := Value{Type: t}
	i := 0
	if t != TypeStruct {
		if len(b) < 1 {
			return Value{}, 0, ErrTruncated
		}
		v.elem = DataType(b[0])
		i = 1
		if !v.elem.Known() {
			return Value{}, 0, ErrUnknownType
		}
	}
	if len(b) < i+2 {
		return Value{}, len(b), ErrTruncated
	}
	count := int(binary.LittleEndian.Uint16(b[i:]))
	i += 2
	if count == 0xFFFF {
		v.null = true
		return v, i, nil
	}
	if count > 0 && typeTable[v.elem].kind == kindNone && t != TypeStruct {
		// Zero-size elements would let 3 bytes claim 65534 values.
		return Value{}, 0, ErrBadValue
	}
	// Every element takes at least one byte, so a count larger than the
	// remaining bytes is truncated input; checking first bounds the
	// allocation by the input size.
	if count > len(b)-i {
		return Value{}, len(b), ErrTruncated
	}
	if count > 0 {
		v.elems = make([]Value, 0, count)
	}
	for range count {
		var (
			e   Value
			n   int
			err error
		)
		if t == TypeStruct {
			if i >= len(b) {
				return Value{}, i, ErrTruncated
			}
			et := DataType(b[i])
			i++
			e, n, err = decodeValue(et, b[i:], depth+1)
		} else {
			e, n, err = decodeValue(v.elem, b[i:], depth+1)
		}
		if err != nil {
			return Value{}, i + n, err
		}
		i += n
		v.elems = append(v.elems, e)
	}
	return v, i, nil
}

// float16val decodes IEEE 754 binary16 bits.
func float16val(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1F
	frac := float64(h & 0x3FF)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1F:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// float16bits encodes f as IEEE 754 binary16, rounding to nearest even.
func float16bits(f float64) uint16 {
	var sign uint16
	if math.Signbit(f) {
		sign = 0x8000
	}
	a := math.Abs(f)
	switch {
	case math.IsNaN(f):
		return 0x7E00
	case a >= 65520: // halfway between 65504 and 2^16 rounds up to infinity
		return sign | 0x7C00
	case a < 0x1p-14: // subnormal
		return sign | uint16(math.RoundToEven(a*0x1p24))
	}
	fr, e := math.Frexp(a) // a = fr × 2^e, fr in [0.5, 1)
	exp := e - 1 + 15
	frac := math.RoundToEven((fr*2 - 1) * 1024)
	if frac == 1024 {
		frac = 0
		exp++
	}
	if exp >= 0x1F {
		return sign | 0x7C00
	}
	return sign | uint16(exp)<<10 | uint16(frac)
}
