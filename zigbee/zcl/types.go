package zcl

import "fmt"

// DataType is a ZCL data type id (ZCL §2.6.2, Table 2-10).
type DataType uint8

// Data types.
const (
	TypeNoData DataType = 0x00

	TypeData8  DataType = 0x08
	TypeData16 DataType = 0x09
	TypeData24 DataType = 0x0A
	TypeData32 DataType = 0x0B
	TypeData40 DataType = 0x0C
	TypeData48 DataType = 0x0D
	TypeData56 DataType = 0x0E
	TypeData64 DataType = 0x0F

	TypeBool DataType = 0x10

	TypeBitmap8  DataType = 0x18
	TypeBitmap16 DataType = 0x19
	TypeBitmap24 DataType = 0x1A
	TypeBitmap32 DataType = 0x1B
	TypeBitmap40 DataType = 0x1C
	TypeBitmap48 DataType = 0x1D
	TypeBitmap56 DataType = 0x1E
	TypeBitmap64 DataType = 0x1F

	TypeUint8  DataType = 0x20
	TypeUint16 DataType = 0x21
	TypeUint24 DataType = 0x22
	TypeUint32 DataType = 0x23
	TypeUint40 DataType = 0x24
	TypeUint48 DataType = 0x25
	TypeUint56 DataType = 0x26
	TypeUint64 DataType = 0x27

	TypeInt8  DataType = 0x28
	TypeInt16 DataType = 0x29
	TypeInt24 DataType = 0x2A
	TypeInt32 DataType = 0x2B
	TypeInt40 DataType = 0x2C
	TypeInt48 DataType = 0x2D
	TypeInt56 DataType = 0x2E
	TypeInt64 DataType = 0x2F

	TypeEnum8  DataType = 0x30
	TypeEnum16 DataType = 0x31

	TypeSemiFloat DataType = 0x38 // IEEE 754 half precision
	TypeFloat     DataType = 0x39 // single precision
	TypeDouble    DataType = 0x3A

	TypeOctetString     DataType = 0x41 // 1-byte length
	TypeCharString      DataType = 0x42 // 1-byte length
	TypeLongOctetString DataType = 0x43 // 2-byte length
	TypeLongCharString  DataType = 0x44 // 2-byte length

	TypeArray  DataType = 0x48
	TypeStruct DataType = 0x4C
	TypeSet    DataType = 0x50
	TypeBag    DataType = 0x51

	TypeTimeOfDay DataType = 0xE0 // hours, minutes, seconds, hundredths
	TypeDate      DataType = 0xE1 // year-1900, month, day of month, day of week
	TypeUTC       DataType = 0xE2 // seconds since 2000-01-01 00:00 UTC

	TypeClusterID   DataType = 0xE8
	TypeAttributeID DataType = 0xE9
	TypeBACnetOID   DataType = 0xEA

	TypeEUI64     DataType = 0xF0
	TypeSecKey128 DataType = 0xF1

	// TypeUnknown is the "unknown" type; its values have no bytes.
	TypeUnknown DataType = 0xFF
)

// kind groups data types that share an encoding.
type kind uint8

const (
	kindUndefined kind = iota
	kindNone           // no bytes: nodata, unknown
	kindData           // opaque fixed-width data/bitmap
	kindBool
	kindUint // unsigned, enums, ids, dates
	kindInt
	kindFloat
	kindString // octet/char, short/long
	kindArray  // array, set, bag
	kindStruct
	kindKey // 128-bit key
)

type typeInfo struct {
	name   string
	kind   kind
	size   uint8 // fixed width in bytes; 0 for variable-size types
	analog bool  // ZCL "A" class: reports carry a reportable change
}

var typeTable = func() (t [256]typeInfo) {
	set := func(id DataType, name string, k kind, size uint8, analog bool) {
		t[id] = typeInfo{name: name, kind: k, size: size, analog: analog}
	}
	set(TypeNoData, "nodata", kindNone, 0, false)
	set(TypeUnknown, "unknown", kindNone, 0, false)
	for i := range 8 {
		w := uint8(i + 1)
		bits := fmt.Sprint(8 * (i + 1))
		set(TypeData8+DataType(i), "data"+bits, kindData, w, false)
		set(TypeBitmap8+DataType(i), "bitmap"+bits, kindData, w, false)
		set(TypeUint8+DataType(i), "uint"+bits, kindUint, w, true)
		set(TypeInt8+DataType(i), "int"+bits, kindInt, w, true)
	}
	set(TypeBool, "bool", kindBool, 1, false)
	set(TypeEnum8, "enum8", kindUint, 1, false)
	set(TypeEnum16, "enum16", kindUint, 2, false)
	set(TypeSemiFloat, "semi", kindFloat, 2, true)
	set(TypeFloat, "single", kindFloat, 4, true)
	set(TypeDouble, "double", kindFloat, 8, true)
	set(TypeOctetString, "octstr", kindString, 0, false)
	set(TypeCharString, "string", kindString, 0, false)
	set(TypeLongOctetString, "octstr16", kindString, 0, false)
	set(TypeLongCharString, "string16", kindString, 0, false)
	set(TypeArray, "array", kindArray, 0, false)
	set(TypeStruct, "struct", kindStruct, 0, false)
	set(TypeSet, "set", kindArray, 0, false)
	set(TypeBag, "bag", kindArray, 0, false)
	set(TypeTimeOfDay, "ToD", kindUint, 4, true)
	set(TypeDate, "date", kindUint, 4, true)
	set(TypeUTC, "UTC", kindUint, 4, true)
	set(TypeClusterID, "clusterId", kindUint, 2, false)
	set(TypeAttributeID, "attribId", kindUint, 2, false)
	set(TypeBACnetOID, "bacOID", kindUint, 4, false)
	set(TypeEUI64, "EUI64", kindUint, 8, false)
	set(TypeSecKey128, "key128", kindKey, 16, false)
	return t
}()

// Known reports whether ZCL defines t.
func (t DataType) Known() bool { return typeTable[t].kind != kindUndefined }

// Size returns the encoded size of a value of t, or 0 for types whose size
// depends on the value (strings, arrays, structs) and for nodata/unknown.
func (t DataType) Size() int { return int(typeTable[t].size) }

// IsAnalog reports whether t is an analog type (ZCL Table 2-10, class "A"):
// integers, floats and times. Configure reporting carries a reportable
// change only for analog attributes.
func (t DataType) IsAnalog() bool { return typeTable[t].analog }

// IsDiscrete reports whether t is a defined, non-analog type.
func (t DataType) IsDiscrete() bool { return t.Known() && !t.IsAnalog() }

// IsSigned reports whether t is a signed integer type.
func (t DataType) IsSigned() bool { return typeTable[t].kind == kindInt }

// IsString reports whether t is an octet or character string, short or long.
func (t DataType) IsString() bool { return typeTable[t].kind == kindString }

// IsLongString reports whether t is a string with a 2-byte length.
func (t DataType) IsLongString() bool {
	return t == TypeLongOctetString || t == TypeLongCharString
}

// IsCollection reports whether t is an array, set, bag or struct.
func (t DataType) IsCollection() bool {
	k := typeTable[t].kind
	return k == kindArray || k == kindStruct
}

// String returns the ZCL short name ("uint16", "enum8", "string"), or the
// hex id for undefined types.
func (t DataType) String() string {
	if n := typeTable[t].name; n != "" {
		return n
	}
	return fmt.Sprintf("DataType(0x%02X)", uint8(t))
}
