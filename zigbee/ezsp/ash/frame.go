package ash

import "fmt"

// Reserved bytes of the ASH line (ezsp.md §2.1).
const (
	// Flag ends a frame.
	Flag = 0x7E
	// Escape makes the next byte (XORed with 0x20) a data byte.
	Escape = 0x7D
	// XON and XOFF are software flow control; they never occur in frames.
	XON  = 0x11
	XOFF = 0x13
	// Substitute replaces a byte the UART received with an error; the frame
	// it is in is dropped.
	Substitute = 0x18
	// Cancel drops everything received since the previous Flag.
	Cancel = 0x1A
)

// Frame limits.
const (
	// MaxData is the longest EZSP frame a DATA frame may carry (herdsman's
	// limit, ezsp.md §2.2).
	MaxData = 220
	// MinData is the shortest EZSP frame (sequence, control, frame id).
	MinData = 3
	// MaxWire is the longest a stuffed frame can be on the line, without
	// its Flag: every byte of control, data and CRC escaped.
	MaxWire = 2 * (1 + MaxData + 2)
	// Version is the only ASH version (byte 1 of RSTACK and ERROR).
	Version = 2
)

// Type is the kind of an ASH frame, given by its control byte.
type Type uint8

// Frame types (ezsp.md §2.3).
const (
	TypeData Type = iota + 1
	TypeACK
	TypeNAK
	TypeRST
	TypeRSTACK
	TypeError
)

func (t Type) String() string {
	switch t {
	case TypeData:
		return "DATA"
	case TypeACK:
		return "ACK"
	case TypeNAK:
		return "NAK"
	case TypeRST:
		return "RST"
	case TypeRSTACK:
		return "RSTACK"
	case TypeError:
		return "ERROR"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Frame is one ASH frame. Which fields count depends on Type: FrmNum and
// ReTx for DATA; AckNum for DATA, ACK and NAK; NotReady for ACK and NAK;
// Data (the EZSP frame, not randomized) for DATA; Version and Code for
// RSTACK and ERROR.
type Frame struct {
	Type     Type
	FrmNum   uint8 // 0–7
	AckNum   uint8 // 0–7: the frame number the sender expects next
	ReTx     bool
	NotReady bool
	Data     []byte
	Version  uint8
	Code     uint8
}

func (f Frame) String() string {
	switch f.Type {
	case TypeData:
		r := ""
		if f.ReTx {
			r = " reTx"
		}
		return fmt.Sprintf("DATA(frm=%d ack=%d%s) % X", f.FrmNum, f.AckNum, r, f.Data)
	case TypeACK, TypeNAK:
		s := "+"
		if f.NotReady {
			s = "- nRdy"
		}
		return fmt.Sprintf("%v(%d)%s", f.Type, f.AckNum, s)
	case TypeRSTACK, TypeError:
		return fmt.Sprintf("%v(v%d, %s 0x%02X)", f.Type, f.Version, CodeName(f.Code), f.Code)
	}
	return f.Type.String()
}

// Control returns the frame's control byte.
func (f Frame) Control() byte {
	switch f.Type {
	case TypeData:
		c := f.FrmNum&7<<4 | f.AckNum&7
		if f.ReTx {
			c |= 0x08
		}
		return c
	case TypeACK, TypeNAK:
		c := byte(0x80) | f.AckNum&7
		if f.Type == TypeNAK {
			c |= 0x20
		}
		if f.NotReady {
			c |= 0x08
		}
		return c
	case TypeRST:
		return 0xC0
	case TypeRSTACK:
		return 0xC1
	case TypeError:
		return 0xC2
	}
	return 0xFF
}

// Codec encodes and decodes frames. The zero value randomizes data fields,
// as every production NCP does; NoRandomize is for the NCP debug option.
type Codec struct {
	NoRandomize bool
}

// AppendFrame appends f as it goes on the line (stuffed, with CRC and the
// closing Flag, without a leading Cancel) with the default Codec.
func AppendFrame(dst []byte, f Frame) ([]byte, error) { return Codec{}.Append(dst, f) }

// ParseFrame decodes one frame as received, without its Flag and after
// Cancel, Substitute and XON/XOFF handling (what a Deframer yields), with
// the default Codec.
func ParseFrame(b []byte) (Frame, error) { return Codec{}.Parse(b) }

// Append appends f as it goes on the line. It fails with ErrBadLength or
// ErrTooLong for a DATA frame whose Data is not MinData–MaxData bytes long,
// and with ErrBadControl for an unknown Type.
func (c Codec) Append(dst []byte, f Frame) ([]byte, error) {
	ctl := f.Control()
	if ctl == 0xFF || f.FrmNum > 7 || f.AckNum > 7 {
		return dst, &FrameError{Err: ErrBadControl}
	}
	crc := crcUpdate(0xFFFF, ctl)
	dst = appendStuffed(dst, ctl)
	switch f.Type {
	case TypeData:
		switch {
		case len(f.Data) < MinData:
			return dst, &FrameError{Err: ErrBadLength, Frame: f.Data}
		case len(f.Data) > MaxData:
			return dst, &FrameError{Err: ErrTooLong, Frame: f.Data}
		}
		r := byte(randomSeed)
		for _, b := range f.Data {
			if !c.NoRandomize {
				b ^= r
				r = nextRandom(r)
			}
			crc = crcUpdate(crc, b)
			dst = appendStuffed(dst, b)
		}
	case TypeRSTACK, TypeError:
		v := f.Version
		if v == 0 {
			v = Version
		}
		crc = crcUpdate(crcUpdate(crc, v), f.Code)
		dst = appendStuffed(appendStuffed(dst, v), f.Code)
	}
	dst = appendStuffed(appendStuffed(dst, byte(crc>>8)), byte(crc))
	return append(dst, Flag), nil
}

func appendStuffed(dst []byte, b byte) []byte {
	if reserved(b) {
		return append(dst, Escape, b^0x20)
	}
	return append(dst, b)
}

func reserved(b byte) bool {
	switch b {
	case Flag, Escape, XON, XOFF, Substitute, Cancel:
		return true
	}
	return false
}

// Parse decodes one frame as received, without its Flag: un-escapes it,
// checks the CRC and the length for the frame type, and de-randomizes the
// data of DATA frames. Errors are *FrameError values wrapping ErrTooShort,
// ErrBadEscape, ErrBadCRC, ErrBadControl, ErrBadLength, ErrTooLong or
// ErrVersion. Parse never panics.
func (c Codec) Parse(raw []byte) (Frame, error) {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		x := raw[i]
		if x != Escape {
			b = append(b, x)
			continue
		}
		if i+1 == len(raw) {
			// An escape right before the Flag has no effect (ezsp.md §2.1).
			break
		}
		i++
		x = raw[i] ^ 0x20
		if !reserved(x) {
			return Frame{}, &FrameError{Err: ErrBadEscape, Frame: raw}
		}
		b = append(b, x)
	}
	if len(b) < 3 {
		return Frame{}, &FrameError{Err: ErrTooShort, Frame: raw}
	}
	body := b[:len(b)-2]
	if got, want := CRC(body), uint16(b[len(b)-2])<<8|uint16(b[len(b)-1]); got != want {
		return Frame{}, &FrameError{Err: ErrBadCRC, Frame: raw}
	}
	ctl, data := body[0], body[1:]
	var f Frame
	switch {
	case ctl&0x80 == 0:
		f = Frame{Type: TypeData, FrmNum: ctl >> 4 & 7, ReTx: ctl&0x08 != 0, AckNum: ctl & 7}
		switch {
		case len(data) < MinData:
			return Frame{}, &FrameError{Err: ErrBadLength, Frame: raw}
		case len(data) > MaxData:
			return Frame{}, &FrameError{Err: ErrTooLong, Frame: raw}
		}
		if !c.NoRandomize {
			Randomize(data)
		}
		f.Data = data
		return f, nil
	case ctl&0xE0 == 0x80, ctl&0xE0 == 0xA0:
		f = Frame{Type: TypeACK, AckNum: ctl & 7, NotReady: ctl&0x08 != 0}
		if ctl&0xE0 == 0xA0 {
			f.Type = TypeNAK
		}
	case ctl == 0xC0:
		f = Frame{Type: TypeRST}
	case ctl == 0xC1, ctl == 0xC2:
		f = Frame{Type: TypeRSTACK}
		if ctl == 0xC2 {
			f.Type = TypeError
		}
		if len(data) != 2 {
			return Frame{}, &FrameError{Err: ErrBadLength, Frame: raw}
		}
		f.Version, f.Code = data[0], data[1]
		if f.Version != Version {
			return Frame{}, &FrameError{Err: ErrVersion, Frame: raw}
		}
		return f, nil
	default:
		return Frame{}, &FrameError{Err: ErrBadControl, Frame: raw}
	}
	if len(data) != 0 {
		return Frame{}, &FrameError{Err: ErrBadLength, Frame: raw}
	}
	return f, nil
}

// randomSeed starts the pseudo-random sequence of every DATA frame.
const randomSeed = 0x42

func nextRandom(r byte) byte {
	if r&1 != 0 {
		return r>>1 ^ 0xB8
	}
	return r >> 1
}

// randomTable is the pseudo-random sequence XORed onto data fields.
var randomTable = func() (t [MaxData]byte) {
	r := byte(randomSeed)
	for i := range t {
		t[i] = r
		r = nextRandom(r)
	}
	return t
}()

// Randomize XORs b in place with the ASH pseudo-random sequence (ezsp.md
// §2.4); applied twice it restores b. Bytes beyond MaxData continue the
// sequence.
func Randomize(b []byte) {
	n := min(len(b), MaxData)
	for i := range n {
		b[i] ^= randomTable[i]
	}
	if len(b) > MaxData {
		r := nextRandom(randomTable[MaxData-1])
		for i := MaxData; i < len(b); i++ {
			b[i] ^= r
			r = nextRandom(r)
		}
	}
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crcUpdate(crc uint16, b byte) uint16 {
	return crc<<8 ^ crcTable[byte(crc>>8)^b]
}

// CRC returns the CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of
// b, as ASH computes it over the control byte and the randomized data.
func CRC(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, x := range b {
		crc = crcUpdate(crc, x)
	}
	return crc
}
