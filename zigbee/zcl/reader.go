package zcl

import "encoding/binary"

// reader decodes little-endian fields and remembers the first failure,
// so payload decoders read straight through and check once.
type reader struct {
	b   []byte
	i   int
	err error
	off int // offset of the failure
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err, r.off = err, r.i
	}
}

func (r *reader) left() int { return len(r.b) - r.i }

func (r *reader) more() bool { return r.err == nil && r.i < len(r.b) }

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

// value decodes a value of type t.
func (r *reader) value(t DataType) Value {
	if r.err != nil {
		return Value{}
	}
	v, n, err := decodeValue(t, r.b[r.i:], 0)
	if err != nil {
		r.i += n
		r.fail(err)
		return Value{}
	}
	r.i += n
	return v
}

// typedValue decodes a type id and a value.
func (r *reader) typedValue() Value {
	t := DataType(r.u8())
	return r.value(t)
}

// done returns the decode error for op, adding ErrTrailing when bytes are
// left over.
func (r *reader) done(op string) error {
	if r.err == nil && r.i < len(r.b) {
		r.fail(ErrTrailing)
	}
	if r.err != nil {
		return decodeErr(op, r.off, r.err)
	}
	return nil
}
