package zcl

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

func TestValueRoundTrip(t *testing.T) {
	type want struct {
		uint    uint64
		int     int64
		float   float64 // checked when non-zero or for float types
		str     string
		invalid bool
	}
	tests := []struct {
		name string
		t    DataType
		hex  string // value bytes, without type id
		v    Value  // constructed value that must encode to hex
		want want
	}{
		{"nodata", TypeNoData, "", NoData(), want{}},
		{"unknown", TypeUnknown, "", Value{Type: TypeUnknown}, want{}},
		{"data8", TypeData8, "a5", NewUint(TypeData8, 0xA5), want{uint: 0xA5, int: 0xA5, float: 0xA5, str: "0xA5"}},
		{"data24", TypeData24, "030201", NewUint(TypeData24, 0x010203), want{uint: 0x010203, int: 0x010203, float: 0x010203, str: "0x010203"}},
		{"data64", TypeData64, "0807060504030201", NewUint(TypeData64, 0x0102030405060708), want{uint: 0x0102030405060708, int: 0x0102030405060708, float: 0x0102030405060708, str: "0x0102030405060708"}},
		{"bool false", TypeBool, "00", Bool(false), want{str: "false"}},
		{"bool true", TypeBool, "01", Bool(true), want{uint: 1, int: 1, float: 1, str: "true"}},
		{"bool invalid", TypeBool, "ff", Invalid(TypeBool), want{uint: 0xFF, int: 0xFF, float: 0xFF, str: "invalid", invalid: true}},
		{"bitmap8", TypeBitmap8, "81", Bitmap8(0x81), want{uint: 0x81, int: 0x81, float: 0x81, str: "0x81"}},
		{"bitmap16", TypeBitmap16, "3412", Bitmap16(0x1234), want{uint: 0x1234, int: 0x1234, float: 0x1234, str: "0x1234"}},
		{"bitmap40 all ones is not invalid", TypeBitmap40, "ffffffffff", NewUint(TypeBitmap40, 0xFFFFFFFFFF), want{uint: 0xFFFFFFFFFF, int: 0xFFFFFFFFFF, float: 0xFFFFFFFFFF, str: "0xFFFFFFFFFF"}},
		{"uint8", TypeUint8, "c8", Uint8(200), want{uint: 200, int: 200, float: 200, str: "200"}},
		{"uint8 invalid", TypeUint8, "ff", Invalid(TypeUint8), want{uint: 0xFF, int: 0xFF, float: 0xFF, str: "invalid", invalid: true}},
		{"uint16", TypeUint16, "d678", Uint16(0x78D6), want{uint: 30934, int: 30934, float: 30934, str: "30934"}},
		{"uint16 invalid", TypeUint16, "ffff", Invalid(TypeUint16), want{uint: 0xFFFF, int: 0xFFFF, float: 0xFFFF, str: "invalid", invalid: true}},
		{"uint24", TypeUint24, "563412", Uint24(0x123456), want{uint: 0x123456, int: 0x123456, float: 0x123456, str: "1193046"}},
		{"uint24 invalid", TypeUint24, "ffffff", Invalid(TypeUint24), want{uint: 0xFFFFFF, int: 0xFFFFFF, float: 0xFFFFFF, str: "invalid", invalid: true}},
		{"uint32", TypeUint32, "78563412", Uint32(0x12345678), want{uint: 0x12345678, int: 0x12345678, float: 0x12345678, str: "305419896"}},
		{"uint40", TypeUint40, "0100000001", NewUint(TypeUint40, 0x0100000001), want{uint: 0x0100000001, int: 0x0100000001, float: 0x0100000001, str: "4294967297"}},
		{"uint48 summation", TypeUint48, "393000000000", Uint48(12345), want{uint: 12345, int: 12345, float: 12345, str: "12345"}},
		{"uint48 invalid", TypeUint48, "ffffffffffff", Invalid(TypeUint48), want{uint: 0xFFFFFFFFFFFF, int: 0xFFFFFFFFFFFF, float: 0xFFFFFFFFFFFF, str: "invalid", invalid: true}},
		{"uint56", TypeUint56, "01020304050607", NewUint(TypeUint56, 0x07060504030201), want{uint: 0x07060504030201, int: 0x07060504030201, float: 0x07060504030201, str: "1976943448883713"}},
		{"uint64 invalid", TypeUint64, "ffffffffffffffff", Invalid(TypeUint64), want{uint: math.MaxUint64, int: -1, float: math.MaxUint64, str: "invalid", invalid: true}},
		{"int8 negative", TypeInt8, "f6", Int8(-10), want{uint: uint64(math.MaxUint64 - 9), int: -10, float: -10, str: "-10"}},
		{"int8 invalid", TypeInt8, "80", Invalid(TypeInt8), want{uint: uint64(math.MaxUint64 - 127), int: -128, float: -128, str: "invalid", invalid: true}},
		{"int16 temperature 23.50", TypeInt16, "2e09", Int16(2350), want{uint: 2350, int: 2350, float: 2350, str: "2350"}},
		{"int16 temperature -5.25", TypeInt16, "f3fd", Int16(-525), want{uint: uint64(1<<64 - 525), int: -525, float: -525, str: "-525"}},
		{"int16 invalid", TypeInt16, "0080", Invalid(TypeInt16), want{uint: uint64(1<<64 - 32768), int: -32768, float: -32768, str: "invalid", invalid: true}},
		{"int24 negative", TypeInt24, "feffff", Int24(-2), want{uint: math.MaxUint64 - 1, int: -2, float: -2, str: "-2"}},
		{"int24 invalid", TypeInt24, "000080", Invalid(TypeInt24), want{uint: uint64(1<<64 - 0x800000), int: -0x800000, float: -0x800000, str: "invalid", invalid: true}},
		{"int24 max", TypeInt24, "ffff7f", Int24(0x7FFFFF), want{uint: 0x7FFFFF, int: 0x7FFFFF, float: 0x7FFFFF, str: "8388607"}},
		{"int32", TypeInt32, "9cffffff", Int32(-100), want{uint: math.MaxUint64 - 99, int: -100, float: -100, str: "-100"}},
		{"int40 negative", TypeInt40, "ffffffffff", NewInt(TypeInt40, -1), want{uint: math.MaxUint64, int: -1, float: -1, str: "-1"}},
		{"int48 invalid", TypeInt48, "000000000080", Invalid(TypeInt48), want{uint: uint64(1<<64 - 1<<47), int: -1 << 47, float: -(1 << 47), str: "invalid", invalid: true}},
		{"int56 positive", TypeInt56, "00000000000001", NewInt(TypeInt56, 1<<48), want{uint: 1 << 48, int: 1 << 48, float: 1 << 48, str: "281474976710656"}},
		{"int64 min invalid", TypeInt64, "0000000000000080", Invalid(TypeInt64), want{uint: 1 << 63, int: math.MinInt64, float: math.MinInt64, str: "invalid", invalid: true}},
		{"enum8", TypeEnum8, "02", Enum8(2), want{uint: 2, int: 2, float: 2, str: "0x02"}},
		{"enum8 invalid", TypeEnum8, "ff", Invalid(TypeEnum8), want{uint: 0xFF, int: 0xFF, float: 0xFF, str: "invalid", invalid: true}},
		{"enum16 invalid", TypeEnum16, "ffff", Invalid(TypeEnum16), want{uint: 0xFFFF, int: 0xFFFF, float: 0xFFFF, str: "invalid", invalid: true}},
		{"semi 1.0", TypeSemiFloat, "003c", NewFloat(TypeSemiFloat, 1), want{uint: 1, int: 1, float: 1, str: "1"}},
		{"semi -2.5", TypeSemiFloat, "00c1", NewFloat(TypeSemiFloat, -2.5), want{uint: uint64(math.MaxUint64 - 1), int: -2, float: -2.5, str: "-2.5"}},
		{"semi max 65504", TypeSemiFloat, "ff7b", NewFloat(TypeSemiFloat, 65504), want{uint: 65504, int: 65504, float: 65504, str: "65504"}},
		{"semi smallest subnormal", TypeSemiFloat, "0100", NewFloat(TypeSemiFloat, 0x1p-24), want{float: 0x1p-24, str: "5.960464477539063e-08"}},
		{"semi NaN invalid", TypeSemiFloat, "007e", Invalid(TypeSemiFloat), want{str: "invalid", invalid: true}},
		{"single 21.5", TypeFloat, "0000ac41", Float32(21.5), want{uint: 21, int: 21, float: 21.5, str: "21.5"}},
		{"single NaN invalid", TypeFloat, "0000c07f", Invalid(TypeFloat), want{str: "invalid", invalid: true}},
		{"double -0.125", TypeDouble, "000000000000c0bf", NewFloat(TypeDouble, -0.125), want{float: -0.125, str: "-0.125"}},
		{"double NaN invalid", TypeDouble, "000000000000f87f", Invalid(TypeDouble), want{str: "invalid", invalid: true}},
		{"octet string", TypeOctetString, "03010203", OctetString([]byte{1, 2, 3}), want{str: "010203"}},
		{"octet string empty", TypeOctetString, "00", OctetString(nil), want{}},
		{"octet string invalid", TypeOctetString, "ff", Invalid(TypeOctetString), want{invalid: true}},
		{"char string", TypeCharString, "0548656c6c6f", CharString("Hello"), want{str: "Hello"}},
		{"char string invalid", TypeCharString, "ff", Invalid(TypeCharString), want{invalid: true}},
		{"long octet string", TypeLongOctetString, "0200abcd", NewString(TypeLongOctetString, []byte{0xab, 0xcd}), want{str: "abcd"}},
		{"long octet string invalid", TypeLongOctetString, "ffff", Invalid(TypeLongOctetString), want{invalid: true}},
		{"long char string", TypeLongCharString, "03006162c3", NewString(TypeLongCharString, []byte("ab\xc3")), want{str: "ab\xc3"}},
		{"long char string invalid", TypeLongCharString, "ffff", Invalid(TypeLongCharString), want{invalid: true}},
		{"array of uint16", TypeArray, "2102000100ffff", NewArray(TypeUint16, Uint16(1), Invalid(TypeUint16)), want{str: "[1 invalid]"}},
		{"array empty", TypeArray, "200000", NewArray(TypeUint8), want{str: "[]"}},
		{"array invalid", TypeArray, "00ffff", Invalid(TypeArray), want{str: "invalid", invalid: true}},
		{"array of strings", TypeArray, "4202000161026263", NewArray(TypeCharString, CharString("a"), CharString("bc")), want{str: "[a bc]"}},
		{"set of enum8", TypeSet, "3002000001", NewSet(TypeEnum8, Enum8(0), Enum8(1)), want{str: "[0x00 0x01]"}},
		{"bag of bool", TypeBag, "100300000101", NewBag(TypeBool, Bool(false), Bool(true), Bool(true)), want{str: "[false true true]"}},
		{"struct", TypeStruct, "0200" + "2105" + "00" + "4202" + "6869", NewStruct(Uint16(5), CharString("hi")), want{str: "{5 hi}"}},
		{"struct with array", TypeStruct, "0100" + "48" + "200100" + "07", NewStruct(NewArray(TypeUint8, Uint8(7))), want{str: "{[7]}"}},
		{"struct invalid", TypeStruct, "ffff", Invalid(TypeStruct), want{str: "invalid", invalid: true}},
		{"time of day", TypeTimeOfDay, "0d1e2d32", NewTimeOfDay(13, 30, 45, 50), want{uint: 0x322d1e0d, int: 0x322d1e0d, float: 0x322d1e0d, str: "841817613"}},
		{"time of day invalid", TypeTimeOfDay, "ffffffff", Invalid(TypeTimeOfDay), want{uint: 0xFFFFFFFF, int: 0xFFFFFFFF, float: 0xFFFFFFFF, str: "invalid", invalid: true}},
		{"date", TypeDate, "7c050e05", NewDate(2024, 5, 14, 5), want{uint: 0x050e057c, int: 0x050e057c, float: 0x050e057c, str: "84804988"}},
		{"utc", TypeUTC, "00a4f22c", NewUTC(time.Date(2023, 11, 24, 0, 0, 0, 0, time.UTC)), want{uint: 0x2cf2a400, int: 0x2cf2a400, float: 0x2cf2a400, str: "2023-11-24T00:00:00Z"}},
		{"utc invalid", TypeUTC, "ffffffff", Invalid(TypeUTC), want{uint: 0xFFFFFFFF, int: 0xFFFFFFFF, float: 0xFFFFFFFF, str: "invalid", invalid: true}},
		{"cluster id", TypeClusterID, "0203", ClusterIDValue(0x0302), want{uint: 0x0302, int: 0x0302, float: 0x0302, str: "0x0302"}},
		{"cluster id invalid", TypeClusterID, "ffff", Invalid(TypeClusterID), want{uint: 0xFFFF, int: 0xFFFF, float: 0xFFFF, str: "invalid", invalid: true}},
		{"attribute id", TypeAttributeID, "0540", NewUint(TypeAttributeID, 0x4005), want{uint: 0x4005, int: 0x4005, float: 0x4005, str: "0x4005"}},
		{"bacnet oid", TypeBACnetOID, "04030201", NewUint(TypeBACnetOID, 0x01020304), want{uint: 0x01020304, int: 0x01020304, float: 0x01020304, str: "16909060"}},
		{"bacnet oid invalid", TypeBACnetOID, "ffffffff", Invalid(TypeBACnetOID), want{uint: 0xFFFFFFFF, int: 0xFFFFFFFF, float: 0xFFFFFFFF, str: "invalid", invalid: true}},
		{"eui64", TypeEUI64, "5321e512006f0d00", EUI64(0x000d6f0012e52153), want{uint: 0x000d6f0012e52153, int: 0x000d6f0012e52153, float: 0x000d6f0012e52153, str: "0x000d6f0012e52153"}},
		{"eui64 invalid", TypeEUI64, "ffffffffffffffff", Invalid(TypeEUI64), want{uint: math.MaxUint64, int: -1, float: math.MaxUint64, str: "invalid", invalid: true}},
		{"key128", TypeSecKey128, "5a6967426565416c6c69616e63653039", SecurityKey(zigbee.DefaultTCLinkKey), want{str: "[redacted key]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			if tt.v.Type != tt.t {
				t.Fatalf("constructor made type %v, want %v", tt.v.Type, tt.t)
			}
			if enc := tt.v.AppendTo(nil); !bytes.Equal(enc, b) {
				t.Fatalf("encode = %x, want %x", enc, b)
			}
			// Trailing garbage must not be consumed.
			v, n, err := DecodeValue(tt.t, append(append([]byte{}, b...), 0xEE, 0xEE))
			if err != nil {
				t.Fatalf("DecodeValue: %v", err)
			}
			if n != len(b) {
				t.Fatalf("used %d bytes, want %d", n, len(b))
			}
			if !v.Equal(tt.v) {
				t.Fatalf("decoded %#v, want %#v", v, tt.v)
			}
			if enc := v.AppendTo(nil); !bytes.Equal(enc, b) {
				t.Fatalf("re-encode = %x, want %x", enc, b)
			}
			typed := v.AppendTyped(nil)
			if typed[0] != byte(tt.t) || !bytes.Equal(typed[1:], b) {
				t.Fatalf("AppendTyped = %x", typed)
			}
			tv, tn, err := DecodeTypedValue(typed)
			if err != nil || tn != len(typed) || !tv.Equal(v) {
				t.Fatalf("DecodeTypedValue = %v, %d, %v", tv, tn, err)
			}
			if got := v.IsInvalid(); got != tt.want.invalid {
				t.Errorf("IsInvalid = %v, want %v", got, tt.want.invalid)
			}
			if got := v.String(); got != tt.want.str {
				t.Errorf("String = %q, want %q", got, tt.want.str)
			}
			if tt.t.IsString() || tt.t.IsCollection() || tt.t == TypeSecKey128 {
				return
			}
			if tt.t.IsAnalog() && typeTable[tt.t].kind == kindFloat && tt.want.invalid {
				if !math.IsNaN(v.Float()) {
					t.Errorf("Float = %v, want NaN", v.Float())
				}
				return
			}
			if got := v.Float(); got != tt.want.float {
				t.Errorf("Float = %v, want %v", got, tt.want.float)
			}
			if got := v.Int(); got != tt.want.int {
				t.Errorf("Int = %d, want %d", got, tt.want.int)
			}
			if got := v.Uint(); got != tt.want.uint {
				t.Errorf("Uint = %d, want %d", got, tt.want.uint)
			}
		})
	}
}

func TestValueAccessors(t *testing.T) {
	if got := NewUTC(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)).Time(); !got.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("UTC Time = %v", got)
	}
	if got := EUI64(0x00124b0012345678).IEEE(); got != 0x00124b0012345678 {
		t.Errorf("IEEE = %v", got)
	}
	if !Uint8(3).Bool() || Uint8(0).Bool() || Invalid(TypeBool).Bool() {
		t.Error("Bool wrong")
	}
	if got := Uint16(0x1234).Bytes(); !bytes.Equal(got, []byte{0x34, 0x12}) {
		t.Errorf("Bytes = %x", got)
	}
	if got := CharString("x").Bytes(); string(got) != "x" {
		t.Errorf("Bytes = %q", got)
	}
	a := NewArray(TypeUint8, Uint8(1), Uint8(2))
	if len(a.Elems()) != 2 || a.ElemType() != TypeUint8 {
		t.Error("Elems/ElemType wrong")
	}
	// Out-of-range constructor input truncates to the type's width.
	if got := NewUint(TypeUint8, 0x1FF).Uint(); got != 0xFF {
		t.Errorf("NewUint truncation = %#x", got)
	}
	if got := NewInt(TypeInt16, -1).Int(); got != -1 {
		t.Errorf("NewInt(-1) = %d", got)
	}
	if got := NewFloat(TypeInt16, -3.7).Int(); got != -3 {
		t.Errorf("NewFloat on int16 = %d", got)
	}
	if got := NewInt(TypeFloat, 3).Float(); got != 3 {
		t.Errorf("NewInt on single = %v", got)
	}
	long := strings.Repeat("x", 300)
	if got := len(CharString(long).AppendTo(nil)); got != 255 {
		t.Errorf("long char string encodes to %d bytes, want 255 (length byte + 254)", got)
	}
	if got := len(LongCharString(long).AppendTo(nil)); got != 302 {
		t.Errorf("long char string16 encodes to %d bytes", got)
	}
	if !Invalid(TypeSemiFloat).IsInvalid() || !NewFloat(TypeFloat, math.NaN()).IsInvalid() {
		t.Error("NaN must be invalid")
	}
	if Invalid(TypeBitmap8).IsInvalid() || Invalid(TypeData16).IsInvalid() || Invalid(TypeSecKey128).IsInvalid() {
		t.Error("data, bitmap and key types have no non-value")
	}
}

func TestFloat16(t *testing.T) {
	tests := []struct {
		f    float64
		bits uint16
	}{
		{0, 0x0000},
		{math.Copysign(0, -1), 0x8000},
		{1, 0x3C00},
		{-2, 0xC000},
		{0.5, 0x3800},
		{65504, 0x7BFF},
		{65519, 0x7BFF}, // rounds down to max
		{65520, 0x7C00}, // rounds up to infinity
		{math.Inf(1), 0x7C00},
		{math.Inf(-1), 0xFC00},
		{0x1p-14, 0x0400},         // smallest normal
		{0x1p-24, 0x0001},         // smallest subnormal
		{0x1p-25, 0x0000},         // tie rounds to even (zero)
		{0x1.8p-25, 0x0001},       // above the tie rounds up
		{1 + 0x1p-11, 0x3C00},     // tie between 1 and next: even
		{1 + 3*0x1p-11, 0x3C02},   // tie: rounds to even mantissa 2
		{0x1.ffcp-15, 0x0400 - 0}, // rounds up from subnormal range to smallest normal
		{21.5, 0x4D60},
	}
	for _, tt := range tests {
		if got := float16bits(tt.f); got != tt.bits {
			t.Errorf("float16bits(%v) = %#04x, want %#04x", tt.f, got, tt.bits)
		}
	}
	// Every finite half value round-trips through float64.
	for h := range 0x10000 {
		f := float16val(uint16(h))
		if math.IsNaN(f) {
			continue
		}
		if got := float16bits(f); got != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, got)
		}
	}
}

func TestDecodeValueErrors(t *testing.T) {
	deep := []byte{}
	for range MaxNesting + 1 {
		deep = append(deep, 0x48, 0x01, 0x00) // array of one array ...
	}
	tests := []struct {
		name string
		t    DataType
		hex  string
		want error
	}{
		{"uint16 short", TypeUint16, "01", ErrTruncated},
		{"uint48 short", TypeUint48, "0102030405", ErrTruncated},
		{"int24 empty", TypeInt24, "", ErrTruncated},
		{"double short", TypeDouble, "00000000", ErrTruncated},
		{"key short", TypeSecKey128, "00112233", ErrTruncated},
		{"string empty", TypeCharString, "", ErrTruncated},
		{"string length past end", TypeCharString, "0548656c", ErrTruncated},
		{"octet string length past end", TypeOctetString, "02aa", ErrTruncated},
		{"long string length cut", TypeLongCharString, "05", ErrTruncated},
		{"long string length past end", TypeLongOctetString, "0300aabb", ErrTruncated},
		{"undefined type", DataType(0x05), "00", ErrUnknownType},
		{"array no header", TypeArray, "21", ErrTruncated},
		{"array count past end", TypeArray, "210300010002", ErrTruncated},
		{"array of nodata", TypeArray, "00ffef", ErrBadValue},
		{"array of unknown", TypeArray, "ff0500", ErrBadValue},
		{"array of undefined type", TypeArray, "070100aa", ErrUnknownType},
		{"array element cut", TypeArray, "2301000102", ErrTruncated},
		{"struct member type missing", TypeStruct, "0200" + "2001", ErrTruncated},
		{"struct member undefined type", TypeStruct, "0100" + "0600", ErrUnknownType},
		{"struct member string past end", TypeStruct, "0100" + "4209", ErrTruncated},
		{"nesting too deep", TypeArray, "48" + hexString(deep[1:]) + "00", ErrBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeValue(tt.t, unhex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, _, err := DecodeTypedValue(nil); !errors.Is(err, ErrTruncated) {
		t.Fatalf("DecodeTypedValue(nil) = %v", err)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xF])
	}
	return string(out)
}

// FuzzDecodeValue decodes arbitrary bytes as every type family; the first
// byte picks the type.
func FuzzDecodeValue(f *testing.F) {
	seeds := []string{
		"21d678", "2800", "1001", "4218545241444652492062756c62204532372057203830366c6d",
		"2502000000000000", "2a000080", "38007e", "3900000000", "3a0000000000000000",
		"482102000100ffff", "4c02002105004202686", "500002000001", "5110030000101", "e00d1e2d32",
		"f05321e512006f0d00", "f15a6967426565416c6c69616e63653039", "43ffff", "4403006162c3",
		"4c0100482001000" + "7", "ff", "00",
	}
	for _, s := range seeds {
		b, _ := decodeHexLoose(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := DecodeTypedValue(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("used %d of %d bytes", n, len(b))
		}
		enc := v.AppendTyped(nil)
		if !bytes.Equal(enc, b[:n]) {
			t.Fatalf("re-encode %x, want %x", enc, b[:n])
		}
		_ = v.String()
		_ = v.IsInvalid()
		_, _, _ = v.Int(), v.Uint(), v.Float()
	})
}

// decodeHexLoose decodes hex, dropping a final odd nibble.
func decodeHexLoose(s string) ([]byte, error) {
	if len(s)%2 == 1 {
		s = s[:len(s)-1]
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		var c byte
		for j := range 2 {
			ch := s[2*i+j]
			switch {
			case ch >= '0' && ch <= '9':
				c = c<<4 | (ch - '0')
			case ch >= 'a' && ch <= 'f':
				c = c<<4 | (ch - 'a' + 10)
			}
		}
		out[i] = c
	}
	return out, nil
}
