package znp

import (
	"encoding/binary"
	"fmt"
	"reflect"
)

// Kind is the wire type of a Field. The Go type a decoder stores in Params
// for each kind is given in brackets; encoders also accept any other integer
// type (named or not) whose value fits.
type Kind uint8

// Field kinds.
const (
	// KindU8 is one byte [uint8].
	KindU8 Kind = iota + 1
	// KindU16 is a little-endian u16 [uint16].
	KindU16
	// KindU32 is a little-endian u32 [uint32] (timestamps, channel masks).
	KindU32
	// KindI8 is a signed byte [int8] (dBm).
	KindI8
	// KindIEEE is an 8-byte little-endian IEEE address or extended PAN id
	// [uint64], shown as "0x%016x" (big-endian display order).
	KindIEEE
	// KindAddr is an 8-byte little-endian address whose meaning depends on the
	// address-mode field named by Ref [uint64]: mode 3 is an IEEE address,
	// other modes hold a 16-bit NWK address or group id in the first two bytes.
	KindAddr
	// KindBytes is a byte string [[]byte] whose length is the value of the
	// earlier field named by Ref, or Size when Ref is empty.
	KindBytes
	// KindRest is every remaining byte of the payload or enclosing struct
	// [[]byte].
	KindRest
	// KindOmittable is a byte string [[]byte] with a Ref length that the ZNP
	// may leave out (AF_INCOMING_MSG_EXT, protocol/znp.md §12.5). If fewer
	// bytes than the length remain, the data counts as omitted: the bool
	// parameter named by Flag is set and the field holds only the stray bytes
	// in front of the fixed-size fields that follow.
	KindOmittable
	// KindU8List is a list of bytes [[]uint8] preceded by a u8 count, or
	// counted by the earlier field named by Ref.
	KindU8List
	// KindU16List is a list of u16 [[]uint16] preceded by a u8 count, or
	// counted by the earlier field named by Ref.
	KindU16List
	// KindStruct is a nested record of Fields [Params]. With Ref set, the
	// earlier field named by Ref holds its byte length and a length of 0 means
	// the record is absent.
	KindStruct
	// KindStructList is a list of records of Fields [[]Params] preceded by a u8
	// count, or counted by the earlier field named by Ref.
	KindStructList
	// KindBits is one byte split into the bit fields of Bits, each stored as
	// its own parameter [uint8]; the Field's own Name is not a parameter.
	KindBits
)

func (k Kind) String() string {
	names := [...]string{"invalid", "u8", "u16", "u32", "i8", "ieee", "addr", "bytes", "rest",
		"omittable", "u8list", "u16list", "struct", "structlist", "bits"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Display says how a number is rendered. The shared vectors' JSON and the
// trace decoder follow it.
type Display uint8

// Displays.
const (
	// DisplayDec renders a decimal number.
	DisplayDec Display = iota
	// DisplayHex renders "0x%0Nx" (N = 2 × the size), also in the JSON
	// vectors: addresses and cluster ids inside lists and descriptors.
	DisplayHex
	// DisplayHexNum renders a number in JSON and "0x%0Nx" in traces: bitmaps,
	// masks, NV ids.
	DisplayHexNum
	// DisplayStatus renders a number in JSON and a Status name in traces.
	DisplayStatus
)

// Bits is one bit field of a KindBits byte.
type Bits struct {
	Name  string
	Shift uint8
	Width uint8
}

// Field describes one field of an MT payload. Fields are listed in wire
// order; the schemas of all commands are in the commands_*.go tables.
type Field struct {
	Name    string
	Kind    Kind
	Display Display
	// Size is the fixed length of a KindBytes field without Ref.
	Size int
	// Ref names an earlier field of the same record: the length of
	// KindBytes/KindOmittable/KindStruct, the count of the list kinds, or the
	// address mode of KindAddr.
	Ref string
	// Flag names the bool parameter that KindOmittable sets when the data
	// was left out.
	Flag string
	// Fields is the record layout of KindStruct and KindStructList.
	Fields []Field
	// Bits is the layout of a KindBits byte; together they cover all 8 bits.
	Bits []Bits
	// Optional marks a trailing field that older firmware does not send. A
	// decoder stops at the first optional field when the payload is used up;
	// an encoder stops at the first optional field that has no parameter.
	Optional bool
	// If, when set, makes the field conditional on the parameters decoded
	// so far in the same record.
	If func(Params) bool

	// sizedBy is 1 + the index of the later field whose length or count this
	// field holds (0: none). Set by prepareFields.
	sizedBy int
}

// fixedSize returns the wire size of a fixed-size field, or -1.
func (f *Field) fixedSize() int {
	switch f.Kind {
	case KindU8, KindI8, KindBits:
		return 1
	case KindU16:
		return 2
	case KindU32:
		return 4
	case KindIEEE, KindAddr:
		return 8
	case KindBytes:
		if f.Ref == "" {
			return f.Size
		}
	}
	return -1
}

func (f *Field) isInt() bool {
	switch f.Kind {
	case KindU8, KindU16, KindU32:
		return true
	}
	return false
}

// prepareFields checks a schema and links length and count fields to the
// fields they size. It panics on a malformed table: the tables are code.
func prepareFields(where string, fs []Field) {
	seenOptional := false
	for i := range fs {
		f := &fs[i]
		if f.Kind == 0 || (f.Name == "" && f.Kind != KindBits) {
			panic(fmt.Sprintf("znp: %s: field %d has no kind or name", where, i))
		}
		if f.Optional {
			seenOptional = true
		} else if seenOptional {
			panic(fmt.Sprintf("znp: %s: required field %s after an optional one", where, f.Name))
		}
		if f.Kind == KindRest && i != len(fs)-1 {
			panic(fmt.Sprintf("znp: %s: rest field %s is not last", where, f.Name))
		}
		if f.Kind == KindOmittable && f.Flag == "" {
			panic(fmt.Sprintf("znp: %s: omittable field %s has no flag", where, f.Name))
		}
		if f.Kind == KindBits {
			var mask uint16
			for _, b := range f.Bits {
				m := uint16(1)<<b.Width - 1
				if b.Width == 0 || mask&(m<<b.Shift) != 0 {
					panic(fmt.Sprintf("znp: %s: overlapping bits %s", where, b.Name))
				}
				mask |= m << b.Shift
			}
			if mask != 0xFF {
				panic(fmt.Sprintf("znp: %s: bits of %s do not cover the byte", where, f.Name))
			}
		}
		if f.Ref != "" {
			j := indexField(fs[:i], f.Ref)
			if j < 0 || !fs[j].isInt() {
				panic(fmt.Sprintf("znp: %s: field %s refers to %s, not an earlier integer", where, f.Name, f.Ref))
			}
			if f.Kind != KindAddr {
				if fs[j].sizedBy != 0 && fs[j].sizedBy != i+1 {
					panic(fmt.Sprintf("znp: %s: field %s sizes two fields", where, f.Ref))
				}
				fs[j].sizedBy = i + 1
			}
		}
		if f.Kind == KindStruct || f.Kind == KindStructList {
			prepareFields(where+"."+f.Name, f.Fields)
		}
	}
}

func indexField(fs []Field, name string) int {
	for i := range fs {
		if fs[i].Name == name {
			return i
		}
	}
	return -1
}

// Params holds the fields of one payload, keyed by field name. Values have
// the Go types listed with each Kind. The getters return the zero value when
// a field is absent or has another type; use Has for optional fields.
//
// Field names are those of shared/protocol/vectors/znp, so a decoded
// payload compares directly with a vector's "fields" object:
//
//   - camelCase, as in TI's and herdsman's naming: dstAddr, srcEndpoint,
//     clusterId, transId, nwkAddrOfInterest, panId, extendedPanId;
//   - a byte string is preceded by its length as a field of its own,
//     <name>Len (dataLen/data, valueLen/value, nameLen/name); encoders
//     compute the length when it is left out;
//   - lists with an inline count (inClusters, outClusters, relays,
//     assocDevices, activeEndpoints) have no count field; the ZDO table
//     responses keep theirs (neighborListCount, routingTableListCount…);
//   - IEEE addresses are "ieeeAddr" in ZDO address responses, announces and
//     UTIL_GET_DEVICE_INFO, and "extAddr" in SYS, UTIL assoc, TC device,
//     leave and concentrator messages, as the vectors have them;
//   - every SRSP that is only a status has the single field "status".
type Params map[string]any

// Has reports whether the parameter is present.
func (p Params) Has(name string) bool { _, ok := p[name]; return ok }

// U8 returns a KindU8 or KindBits parameter.
func (p Params) U8(name string) uint8 { v, _ := p[name].(uint8); return v }

// U16 returns a KindU16 parameter.
func (p Params) U16(name string) uint16 { v, _ := p[name].(uint16); return v }

// U32 returns a KindU32 parameter.
func (p Params) U32(name string) uint32 { v, _ := p[name].(uint32); return v }

// I8 returns a KindI8 parameter.
func (p Params) I8(name string) int8 { v, _ := p[name].(int8); return v }

// IEEE returns a KindIEEE or KindAddr parameter.
func (p Params) IEEE(name string) uint64 { v, _ := p[name].(uint64); return v }

// Bytes returns a KindBytes, KindRest or KindOmittable parameter.
func (p Params) Bytes(name string) []byte { v, _ := p[name].([]byte); return v }

// U8s returns a KindU8List parameter.
func (p Params) U8s(name string) []uint8 { v, _ := p[name].([]uint8); return v }

// U16s returns a KindU16List parameter.
func (p Params) U16s(name string) []uint16 { v, _ := p[name].([]uint16); return v }

// Struct returns a KindStruct parameter.
func (p Params) Struct(name string) Params { v, _ := p[name].(Params); return v }

// List returns a KindStructList parameter.
func (p Params) List(name string) []Params { v, _ := p[name].([]Params); return v }

// Bool returns a flag parameter (the Flag of a KindOmittable field).
func (p Params) Bool(name string) bool { v, _ := p[name].(bool); return v }

// uint returns an integer parameter of any Go integer type (decoded or
// given to an encoder), or 0. Conditions (Field.If) use it.
func (p Params) uint(name string) uint64 { u, _ := toUint(p[name]); return u }

// Status returns the "status" parameter as a Status.
func (p Params) Status() Status { return Status(p.U8("status")) }

// fieldError locates a decode or encode error inside a schema.
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string { return e.path + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(name string, err error) error {
	if fe, ok := err.(*fieldError); ok {
		fe.path = name + "." + fe.path
		return fe
	}
	return &fieldError{path: name, err: err}
}

func refInt(p Params, name string) (int, bool) {
	switch v := p[name].(type) {
	case uint8:
		return int(v), true
	case uint16:
		return int(v), true
	case uint32:
		return int(v), true
	}
	return 0, false
}

// decodeFields decodes the record fs from b into p and returns the number
// of bytes used. Byte strings alias b.
func decodeFields(fs []Field, b []byte, p Params) (int, error) {
	off := 0
	for i := range fs {
		f := &fs[i]
		if f.If != nil && !f.If(p) {
			continue
		}
		if f.Optional && off == len(b) {
			break
		}
		n, err := decodeField(f, fs[i+1:], b[off:], p)
		if err != nil {
			return off, err
		}
		off += n
	}
	return off, nil
}

func decodeField(f *Field, next []Field, b []byte, p Params) (int, error) {
	short := func() (int, error) { return 0, &fieldError{path: f.Name, err: ErrShortPayload} }
	if n := f.fixedSize(); n > len(b) {
		return short()
	}
	switch f.Kind {
	case KindU8:
		p[f.Name] = b[0]
		return 1, nil
	case KindI8:
		p[f.Name] = int8(b[0])
		return 1, nil
	case KindU16:
		p[f.Name] = binary.LittleEndian.Uint16(b)
		return 2, nil
	case KindU32:
		p[f.Name] = binary.LittleEndian.Uint32(b)
		return 4, nil
	case KindIEEE, KindAddr:
		p[f.Name] = binary.LittleEndian.Uint64(b)
		return 8, nil
	case KindBits:
		for _, bf := range f.Bits {
			p[bf.Name] = b[0] >> bf.Shift & (1<<bf.Width - 1)
		}
		return 1, nil
	case KindBytes:
		n := f.Size
		if f.Ref != "" {
			n, _ = refInt(p, f.Ref)
		}
		if n > len(b) {
			return short()
		}
		p[f.Name] = b[:n:n]
		return n, nil
	case KindRest:
		p[f.Name] = b[:len(b):len(b)]
		return len(b), nil
	case KindOmittable:
		n, _ := refInt(p, f.Ref)
		if n <= len(b) {
			p[f.Name] = b[:n:n]
			p[f.Flag] = false
			return n, nil
		}
		// Omitted: keep stray bytes in front of the fixed-size trailer.
		trailer := 0
		for i := range next {
			trailer += max(next[i].fixedSize(), 0)
		}
		n = len(b) - trailer
		if n < 0 {
			n = len(b)
		}
		p[f.Name] = b[:n:n]
		p[f.Flag] = true
		return n, nil
	case KindU8List, KindU16List, KindStructList:
		off := 0
		count, _ := refInt(p, f.Ref)
		if f.Ref == "" {
			if len(b) < 1 {
				return short()
			}
			count, off = int(b[0]), 1
		}
		switch f.Kind {
		case KindU8List:
			if off+count > len(b) {
				return short()
			}
			l := make([]uint8, count)
			copy(l, b[off:])
			p[f.Name] = l
			return off + count, nil
		case KindU16List:
			if off+2*count > len(b) {
				return short()
			}
			l := make([]uint16, count)
			for i := range l {
				l[i] = binary.LittleEndian.Uint16(b[off+2*i:])
			}
			p[f.Name] = l
			return off + 2*count, nil
		}
		l := make([]Params, count)
		for i := range l {
			l[i] = make(Params, len(f.Fields))
			n, err := decodeFields(f.Fields, b[off:], l[i])
			if err != nil {
				return 0, fieldErr(fmt.Sprintf("%s[%d]", f.Name, i), err)
			}
			off += n
		}
		p[f.Name] = l
		return off, nil
	case KindStruct:
		sub := b
		if f.Ref != "" {
			n, _ := refInt(p, f.Ref)
			if n == 0 {
				return 0, nil
			}
			if n > len(b) {
				return short()
			}
			sub = b[:n]
		}
		s := make(Params, len(f.Fields))
		n, err := decodeFields(f.Fields, sub, s)
		if err != nil {
			return 0, fieldErr(f.Name, err)
		}
		if f.Ref != "" && n != len(sub) {
			return 0, &fieldError{path: f.Name, err: ErrTrailingPayload}
		}
		p[f.Name] = s
		return n, nil
	}
	return 0, &fieldError{path: f.Name, err: fmt.Errorf("kind %v: %w", f.Kind, ErrBadValue)}
}

// present reports whether p holds a value for f.
func present(f *Field, p Params) bool {
	if f.Kind == KindBits {
		for _, b := range f.Bits {
			if _, ok := p[b.Name]; ok {
				return true
			}
		}
		return false
	}
	_, ok := p[f.Name]
	return ok
}

// patch is a length or count field written before the field it sizes.
type patch struct {
	field int // index in the record
	pos   int // offset in dst
}

// encodeFields appends the record fs with the values of p.
func encodeFields(dst []byte, fs []Field, p Params) ([]byte, error) {
	var patchBuf [2]patch
	patches := patchBuf[:0]
	for i := range fs {
		f := &fs[i]
		if f.If != nil && !f.If(p) {
			continue
		}
		if f.Optional && !present(f, p) {
			for j := i + 1; j < len(fs); j++ {
				if present(&fs[j], p) {
					return dst, &fieldError{path: f.Name, err: fmt.Errorf("%w (needed before %s)", ErrMissingField, fs[j].Name)}
				}
			}
			break
		}
		if f.sizedBy != 0 && !present(f, p) {
			// A length or count the caller left out: write it once the
			// sized field is known.
			patches = append(patches, patch{field: i, pos: len(dst)})
			dst = append(dst, make([]byte, f.fixedSize())...)
			continue
		}
		var err error
		if dst, err = encodeField(dst, f, fs, p, patches); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// encodeField appends one field. fs is the whole record (for Ref lookups).
func encodeField(dst []byte, f *Field, fs []Field, p Params, patches []patch) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return dst, &fieldError{path: f.Name, err: fmt.Errorf("%w: "+format, append([]any{ErrBadValue}, args...)...)}
	}
	if f.Kind == KindBits {
		var b byte
		for _, bf := range f.Bits {
			v, ok := p[bf.Name]
			if !ok {
				continue // bits default to 0
			}
			u, ok := toUint(v)
			if !ok || u >= 1<<bf.Width {
				return bad("%s=%v does not fit in %d bits", bf.Name, v, bf.Width)
			}
			b |= byte(u) << bf.Shift
		}
		return append(dst, b), nil
	}
	v, ok := p[f.Name]
	if !ok {
		if f.Kind == KindStruct && f.Ref != "" {
			return dst, setRef(fs, f, p, patches, dst, 0) // absent record
		}
		return dst, &fieldError{path: f.Name, err: ErrMissingField}
	}
	switch f.Kind {
	case KindU8, KindU16, KindU32:
		u, ok := toUint(v)
		if !ok || u > maxUint(f.fixedSize()) {
			return bad("%v (%T) is not a u%d", v, v, 8*f.fixedSize())
		}
		switch f.Kind {
		case KindU8:
			return append(dst, byte(u)), nil
		case KindU16:
			return binary.LittleEndian.AppendUint16(dst, uint16(u)), nil
		}
		return binary.LittleEndian.AppendUint32(dst, uint32(u)), nil
	case KindI8:
		i, ok := toInt(v)
		if !ok || i < -128 || i > 127 {
			return bad("%v (%T) is not an i8", v, v)
		}
		return append(dst, byte(int8(i))), nil
	case KindIEEE, KindAddr:
		u, ok := toUint(v)
		if !ok {
			return bad("%v (%T) is not a 64-bit address", v, v)
		}
		return binary.LittleEndian.AppendUint64(dst, u), nil
	case KindBytes, KindRest, KindOmittable:
		b, ok := toBytes(v)
		if !ok {
			return bad("%T is not a byte string", v)
		}
		if f.Kind == KindBytes && f.Ref == "" && len(b) != f.Size {
			return bad("%d bytes, want %d", len(b), f.Size)
		}
		if f.Ref != "" {
			if err := setRef(fs, f, p, patches, dst, len(b)); err != nil {
				return dst, err
			}
		}
		return append(dst, b...), nil
	case KindU8List, KindU16List, KindStructList:
		n, ok := listLen(f.Kind, v)
		if !ok {
			return bad("%T is not a %v", v, f.Kind)
		}
		if f.Ref != "" {
			if err := setRef(fs, f, p, patches, dst, n); err != nil {
				return dst, err
			}
		} else {
			if n > 255 {
				return bad("%d entries", n)
			}
			dst = append(dst, byte(n))
		}
		return appendList(dst, f, v)
	case KindStruct:
		s, ok := toParams(v)
		if !ok {
			return bad("%T is not Params", v)
		}
		start := len(dst)
		dst, err := encodeFields(dst, f.Fields, s)
		if err != nil {
			return dst, fieldErr(f.Name, err)
		}
		if f.Ref != "" {
			if err := setRef(fs, f, p, patches, dst, len(dst)-start); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	return bad("kind %v", f.Kind)
}

// setRef fills in or checks the length or count field of f.
func setRef(fs []Field, f *Field, p Params, patches []patch, dst []byte, n int) error {
	j := indexField(fs, f.Ref)
	r := &fs[j]
	for _, pt := range patches {
		if pt.field != j {
			continue
		}
		if uint64(n) > maxUint(r.fixedSize()) {
			return &fieldError{path: f.Name, err: fmt.Errorf("%w: length %d does not fit %s", ErrBadValue, n, r.Name)}
		}
		switch r.Kind {
		case KindU8:
			dst[pt.pos] = byte(n)
		case KindU16:
			binary.LittleEndian.PutUint16(dst[pt.pos:], uint16(n))
		case KindU32:
			binary.LittleEndian.PutUint32(dst[pt.pos:], uint32(n))
		}
		return nil
	}
	if f.Kind == KindOmittable {
		return nil // the length may announce more than is sent
	}
	if want, _ := toUint(p[r.Name]); want != uint64(n) {
		return &fieldError{path: f.Name, err: fmt.Errorf("%w: %d entries or bytes but %s=%d", ErrBadValue, n, r.Name, want)}
	}
	return nil
}

func maxUint(size int) uint64 { return 1<<(8*uint(size)) - 1 }

func listLen(k Kind, v any) (int, bool) {
	switch k {
	case KindStructList:
		switch l := v.(type) {
		case []Params:
			return len(l), true
		case []map[string]any:
			return len(l), true
		}
		return 0, false
	default:
		switch l := v.(type) {
		case []uint8:
			return len(l), true
		case []uint16:
			return len(l), true
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			return rv.Len(), true
		}
		return 0, false
	}
}

func appendList(dst []byte, f *Field, v any) ([]byte, error) {
	put := func(i int, e any) ([]byte, error) {
		u, ok := toUint(e)
		if f.Kind == KindU8List && (!ok || u > 0xFF) || !ok || u > 0xFFFF {
			return dst, &fieldError{path: fmt.Sprintf("%s[%d]", f.Name, i), err: fmt.Errorf("%w: %v (%T)", ErrBadValue, e, e)}
		}
		if f.Kind == KindU8List {
			return append(dst, byte(u)), nil
		}
		return binary.LittleEndian.AppendUint16(dst, uint16(u)), nil
	}
	var err error
	switch l := v.(type) {
	case []uint16:
		if f.Kind == KindU16List {
			for _, e := range l {
				dst = binary.LittleEndian.AppendUint16(dst, e)
			}
			return dst, nil
		}
	case []uint8:
		if f.Kind == KindU8List {
			return append(dst, l...), nil
		}
	case []Params:
		for i, s := range l {
			if dst, err = encodeFields(dst, f.Fields, s); err != nil {
				return dst, fieldErr(fmt.Sprintf("%s[%d]", f.Name, i), err)
			}
		}
		return dst, nil
	case []map[string]any:
		for i, s := range l {
			if dst, err = encodeFields(dst, f.Fields, s); err != nil {
				return dst, fieldErr(fmt.Sprintf("%s[%d]", f.Name, i), err)
			}
		}
		return dst, nil
	}
	rv := reflect.ValueOf(v)
	for i := range rv.Len() {
		if dst, err = put(i, rv.Index(i).Interface()); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func toParams(v any) (Params, bool) {
	switch s := v.(type) {
	case Params:
		return s, true
	case map[string]any:
		return s, true
	}
	return nil, false
}

// toUint converts any non-negative integer value, of a named type or not.
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
	case int:
		return uint64(x), x >= 0
	case Status:
		return uint64(x), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := rv.Int()
		return uint64(i), i >= 0
	}
	return 0, false
}

// toInt converts any integer value that fits in an int64.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		return int64(u), u <= 1<<63-1
	}
	return 0, false
}

// toBytes accepts []byte and byte arrays or slices of named types.
func toBytes(v any) ([]byte, bool) {
	if b, ok := v.([]byte); ok {
		return b, true
	}
	rv := reflect.ValueOf(v)
	if (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return b, true
	}
	return nil, false
}
