package znp

import (
	"bytes"
	"fmt"
	"sort"
	"time"
)

// Command is one MT command, described as data: its TI name, header and the
// schemas of its payloads. Commands live in the per-subsystem tables
// (commands_sys.go, commands_zdo.go, …) and are found with Lookup,
// CommandByName or the exported variables (SysPing, AFDataRequest, …).
// A Command is immutable; share it freely.
type Command struct {
	// Name is TI's name, e.g. "AF_DATA_REQUEST". An SRSP carries the name
	// of its SREQ.
	Name      string
	Subsystem Subsystem
	ID        uint8 // CMD1
	// Type is SREQ (answered by an SRSP with Response), AREQ (one payload,
	// Request, in either direction) or SRSP for the RPC error, which
	// answers any unknown SREQ (payload in Response).
	Type Type
	// Request is the SREQ payload or the AREQ payload.
	Request []Field
	// Response is the SRSP payload.
	Response []Field
	// SRSPTimeout, when not zero, is how long this command's SRSP may take
	// (protocol/znp.md §3.1); zero means the driver's default.
	SRSPTimeout time.Duration
}

func (c *Command) String() string { return c.Name }

// RequestHeader returns the header of the SREQ or AREQ.
func (c *Command) RequestHeader() Header {
	return Header{Type: c.Type, Subsystem: c.Subsystem, ID: c.ID}
}

// ResponseHeader returns the header of the SRSP that answers the SREQ.
func (c *Command) ResponseHeader() Header {
	return Header{Type: SRSP, Subsystem: c.Subsystem, ID: c.ID}
}

// Schema returns the fields of the payload of type t: Request for the SREQ
// or AREQ, Response for the SRSP. ok is false when the command has no such
// frame.
func (c *Command) Schema(t Type) (fs []Field, ok bool) {
	switch {
	case t == c.Type && t != SRSP:
		return c.Request, true
	case t == SRSP && (c.Type == SREQ || c.Type == SRSP):
		return c.Response, true
	}
	return nil, false
}

// PayloadError reports a payload that does not match its command's schema,
// or a frame whose command is unknown.
type PayloadError struct {
	Op      string // "decode" or "encode"
	Header  Header
	Command string // TI name; empty for an unknown command
	Field   string // path of the offending field, e.g. "neighbors[1].lqi"; may be empty
	Err     error  // ErrUnknownCommand, ErrShortPayload, ErrTrailingPayload, ErrMissingField, ErrBadValue, ErrFrameTooLong
}

func (e *PayloadError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "znp: %s %v", e.Op, e.Header)
	if e.Command != "" {
		fmt.Fprintf(&b, " %s", e.Command)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *PayloadError) Unwrap() error { return e.Err }

func (c *Command) payloadErr(op string, t Type, err error) error {
	pe := &PayloadError{Op: op, Header: Header{Type: t, Subsystem: c.Subsystem, ID: c.ID}, Command: c.Name, Err: err}
	if fe, ok := err.(*fieldError); ok {
		pe.Field, pe.Err = fe.path, fe.err
	}
	return pe
}

// DecodePayload decodes the payload of a frame of type t. Decoding is
// strict: a payload that ends early fails with ErrShortPayload and bytes
// after the last field with ErrTrailingPayload, both in a *PayloadError.
// The returned Params never alias payload.
func (c *Command) DecodePayload(t Type, payload []byte) (Params, error) {
	fs, ok := c.Schema(t)
	if !ok {
		return nil, c.payloadErr("decode", t, ErrUnknownCommand)
	}
	b := bytes.Clone(payload)
	p := make(Params, len(fs))
	n, err := decodeFields(fs, b, p)
	if err != nil {
		return nil, c.payloadErr("decode", t, err)
	}
	if n != len(b) {
		return nil, c.payloadErr("decode", t, fmt.Errorf("%w (%d of %d bytes used)", ErrTrailingPayload, n, len(b)))
	}
	return p, nil
}

// AppendPayload appends the payload of type t built from p. Length and count
// fields may be left out of p: they are computed. Parameters that are not
// fields of the schema are ignored.
func (c *Command) AppendPayload(dst []byte, t Type, p Params) ([]byte, error) {
	fs, ok := c.Schema(t)
	if !ok {
		return dst, c.payloadErr("encode", t, ErrUnknownCommand)
	}
	start := len(dst)
	dst, err := encodeFields(dst, fs, p)
	if err != nil {
		return dst[:start], c.payloadErr("encode", t, err)
	}
	if len(dst)-start > MaxPayload {
		return dst[:start], c.payloadErr("encode", t, fmt.Errorf("%w (%d bytes)", ErrFrameTooLong, len(dst)-start))
	}
	return dst, nil
}

// Encode builds the frame of type t (SREQ, AREQ or SRSP) from p.
func (c *Command) Encode(t Type, p Params) (Frame, error) {
	payload, err := c.AppendPayload(nil, t, p)
	if err != nil {
		return Frame{}, err
	}
	return Frame{Header: Header{Type: t, Subsystem: c.Subsystem, ID: c.ID}, Payload: payload}, nil
}

// EncodeRequest builds the SREQ or AREQ frame.
func (c *Command) EncodeRequest(p Params) (Frame, error) { return c.Encode(c.Type, p) }

// EncodeResponse builds the SRSP frame.
func (c *Command) EncodeResponse(p Params) (Frame, error) { return c.Encode(SRSP, p) }

// Decode finds the command of f and decodes its payload with the schema for
// f's type. An unknown header fails with ErrUnknownCommand in a
// *PayloadError.
func Decode(f Frame) (*Command, Params, error) {
	c, ok := Lookup(f.Header)
	if !ok {
		return nil, nil, &PayloadError{Op: "decode", Header: f.Header, Err: ErrUnknownCommand}
	}
	p, err := c.DecodePayload(f.Type, f.Payload)
	if err != nil {
		return c, nil, err
	}
	return c, p, nil
}

// Lookup returns the command of a frame header. An SRSP header finds the
// SREQ it answers (or the RPC error command).
func Lookup(h Header) (*Command, bool) {
	k := h
	if k.Type == SRSP {
		if c, ok := registry.byHeader[k]; ok {
			return c, true // RPC error
		}
		k.Type = SREQ
	}
	c, ok := registry.byHeader[k]
	return c, ok
}

// CommandByName returns the command with TI name name, e.g. "SYS_PING".
func CommandByName(name string) (*Command, bool) {
	c, ok := registry.byName[name]
	return c, ok
}

// Commands returns every known command, ordered by subsystem, type and id.
func Commands() []*Command {
	return append([]*Command(nil), registry.all...)
}

type commandRegistry struct {
	byHeader map[Header]*Command
	byName   map[string]*Command
	all      []*Command
}

var registry = newRegistry(sysCommands, utilCommands, afCommands, zdoCommands, appCnfCommands, sapiCommands, rpcCommands)

func newRegistry(tables ...[]Command) commandRegistry {
	r := commandRegistry{byHeader: map[Header]*Command{}, byName: map[string]*Command{}}
	for _, t := range tables {
		for i := range t {
			c := &t[i]
			if c.Type != SREQ && c.Type != AREQ && c.Type != SRSP {
				panic("znp: command " + c.Name + " has type " + c.Type.String())
			}
			h := c.RequestHeader()
			if r.byHeader[h] != nil || r.byName[c.Name] != nil {
				panic("znp: duplicate command " + c.Name)
			}
			prepareFields(c.Name, c.Request)
			prepareFields(c.Name, c.Response)
			r.byHeader[h], r.byName[c.Name] = c, c
			r.all = append(r.all, c)
		}
	}
	sort.Slice(r.all, func(i, j int) bool {
		a, b := r.all[i], r.all[j]
		if a.Subsystem != b.Subsystem {
			return a.Subsystem < b.Subsystem
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.ID < b.ID
	})
	return r
}

// mustCommand returns a registered command for the exported variables.
func mustCommand(name string) *Command {
	c, ok := registry.byName[name]
	if !ok {
		panic("znp: no command " + name)
	}
	return c
}

// Field constructors for the tables.

func u8(name string) Field    { return Field{Name: name, Kind: KindU8} }
func u16(name string) Field   { return Field{Name: name, Kind: KindU16} }
func u32(name string) Field   { return Field{Name: name, Kind: KindU32} }
func i8(name string) Field    { return Field{Name: name, Kind: KindI8} }
func ieee(name string) Field  { return Field{Name: name, Kind: KindIEEE} }
func hex16(name string) Field { return Field{Name: name, Kind: KindU16, Display: DisplayHex} }
func x8(name string) Field {
	return Field{Name: name, Kind: KindU8, Display: DisplayHexNum}
}
func x16(name string) Field {
	return Field{Name: name, Kind: KindU16, Display: DisplayHexNum}
}
func x32(name string) Field {
	return Field{Name: name, Kind: KindU32, Display: DisplayHexNum}
}
func status() Field { return Field{Name: "status", Kind: KindU8, Display: DisplayStatus} }

// addr is an 8-byte address qualified by the mode field.
func addr(name, mode string) Field { return Field{Name: name, Kind: KindAddr, Ref: mode} }

// bytesOf is a byte string whose length is the field lenName.
func bytesOf(name, lenName string) Field { return Field{Name: name, Kind: KindBytes, Ref: lenName} }

// fixed is a byte string of n bytes.
func fixed(name string, n int) Field { return Field{Name: name, Kind: KindBytes, Size: n} }
func rest(name string) Field         { return Field{Name: name, Kind: KindRest} }

// u16s and u8s are lists with a u8 count prefix.
func u16s(name string) Field { return Field{Name: name, Kind: KindU16List, Display: DisplayHex} }
func u8s(name string) Field  { return Field{Name: name, Kind: KindU8List} }

func structOf(name, lenName string, fs ...Field) Field {
	return Field{Name: name, Kind: KindStruct, Ref: lenName, Fields: fs}
}
func listOf(name, countName string, fs ...Field) Field {
	return Field{Name: name, Kind: KindStructList, Ref: countName, Fields: fs}
}
func bits(name string, bs ...Bits) Field { return Field{Name: name, Kind: KindBits, Bits: bs} }

func opt(f Field) Field { f.Optional = true; return f }

// fields keeps the tables short: fields(a, b, c) == []Field{a, b, c}.
func fields(fs ...Field) []Field { return fs }
