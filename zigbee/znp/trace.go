package znp

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// FormatFrame decodes f and renders it on one line, e.g.
// "SRSP SYS SYS_PING {capabilities: 0x0659}". It fails like Decode.
func FormatFrame(f Frame) (string, error) {
	c, p, err := Decode(f)
	if err != nil {
		return "", err
	}
	fs, _ := c.Schema(f.Type)
	var b strings.Builder
	fmt.Fprintf(&b, "%v %v %s ", f.Type, f.Subsystem, c.Name)
	writeParams(&b, fs, p)
	return b.String(), nil
}

// FormatParams renders p, decoded with schema fs, as "{name: value, …}" in
// wire order. Addresses and masks are hex, statuses are named.
func FormatParams(fs []Field, p Params) string {
	var b strings.Builder
	writeParams(&b, fs, p)
	return b.String()
}

func writeParams(b *strings.Builder, fs []Field, p Params) {
	b.WriteByte('{')
	first := true
	sep := func(name string) {
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(name)
		b.WriteString(": ")
	}
	for i := range fs {
		f := &fs[i]
		if f.If != nil && !f.If(p) {
			continue
		}
		if f.Kind == KindBits {
			for _, bf := range f.Bits {
				v, ok := p[bf.Name]
				if !ok || (strings.Contains(bf.Name, "eserved") && v == uint8(0)) {
					continue
				}
				sep(bf.Name)
				fmt.Fprintf(b, "%v", v)
			}
			continue
		}
		v, ok := p[f.Name]
		if !ok {
			continue
		}
		sep(f.Name)
		writeValue(b, f, v, p)
		if f.Kind == KindOmittable && p.Bool(f.Flag) {
			sep(f.Flag)
			b.WriteString("true")
		}
	}
	b.WriteByte('}')
}

func writeValue(b *strings.Builder, f *Field, v any, p Params) {
	switch x := v.(type) {
	case uint8, uint16, uint32:
		u, _ := toUint(x)
		switch f.Display {
		case DisplayHex, DisplayHexNum:
			fmt.Fprintf(b, "0x%0*x", 2*f.fixedSize(), u)
		case DisplayStatus:
			b.WriteString(Status(u).String())
		default:
			b.WriteString(strconv.FormatUint(u, 10))
		}
	case int8:
		b.WriteString(strconv.Itoa(int(x)))
	case uint64:
		if f.Kind == KindAddr && p.uint(f.Ref) != 3 && x <= 0xFFFF {
			fmt.Fprintf(b, "0x%04x", x)
		} else {
			fmt.Fprintf(b, "0x%016x", x)
		}
	case []byte:
		if f.Kind == KindU8List {
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strconv.Itoa(int(e)))
			}
			b.WriteByte(']')
		} else if len(x) == 0 {
			b.WriteString(`""`)
		} else {
			b.WriteString(hex.EncodeToString(x))
		}
	case []uint16:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "0x%04x", e)
		}
		b.WriteByte(']')
	case Params:
		writeParams(b, f.Fields, x)
	case []Params:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeParams(b, f.Fields, e)
		}
		b.WriteByte(']')
	default:
		fmt.Fprintf(b, "%v", v)
	}
}

// DecodeTrace reads a frame trace and writes one readable line per frame.
//
// Input lines (the format of shared/protocol/vectors/znp/traces):
//
//	# comment                       copied to the output
//	---                             a gap in the capture, copied
//	> FE00210120                    host → ZNP
//	< FE02610179011A                ZNP → host
//	1764080000123456 > FE00210120   with a Unix-microseconds timestamp
//
// Hex may contain spaces; one line may hold several frames, and bytes
// before a SOF (such as the 0xEF bootloader skip byte) are reported as raw
// bytes. Output lines look like "> SREQ SYS SYS_PING {}", prefixed with the
// UTC time when the input line had a timestamp. A line with bad hex, a
// truncated frame, a bad FCS, an unknown command or a payload that does not
// match its schema stops the decoding with an error naming the line.
func DecodeTrace(r io.Reader, w io.Writer) error {
	return driverkit.TraceFormat{Name: "znp", Frames: traceFrames}.Decode(r, w)
}

// traceFrames decodes the bytes of one trace line: frames, and raw bytes
// before a SOF.
func traceFrames(b []byte) ([]string, error) {
	var out []string
	for len(b) > 0 {
		if b[0] != SOF {
			n := indexSOF(b)
			if n < 0 {
				n = len(b)
			}
			out = append(out, fmt.Sprintf("RAW % X (not a frame)", b[:n]))
			b = b[n:]
			continue
		}
		n := len(b)
		if len(b) >= 2 && int(b[1]) <= MaxPayload {
			n = min(n, int(b[1])+frameOverhead)
		}
		f, err := ParseFrame(b[:n])
		if err != nil {
			return nil, err
		}
		text, err := FormatFrame(f)
		if err != nil {
			return nil, err
		}
		out = append(out, text)
		b = b[n:]
	}
	return out, nil
}
