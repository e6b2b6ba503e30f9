package ezsp

import (
	"errors"
	"fmt"
	"io"

	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// DecodeTrace reads an ASH/EZSP trace and writes one readable line per
// frame.
//
// Input lines (the format of shared/protocol/vectors/ezsp/traces and of
// `zhub sim --trace`):
//
//	# comment                          copied to the output
//	> 004221A8597C057E                 host → NCP, ASH bytes as on the wire
//	< 0142A1A8592805C6A8777E           NCP → host
//	> 0000000D                         a de-randomized EZSP frame
//	1764080000123456 > 8070787E        with a Unix-microseconds timestamp
//	1764080000123456 # comment         copied with its time
//
// A line whose bytes end with the ASH Flag is taken as ASH bytes (one line
// may hold several frames and CANCEL bytes); anything else as one EZSP
// frame. The protocol version is followed through the version exchange;
// before it is known the header format is guessed per frame (ezsp.md §5)
// and extended frames are read with the v13 layouts, then v14. Unknown
// frame ids are shown raw. A line with bad hex, an ASH frame that does not
// parse or parameters that match no layout stop the decoding with an error
// naming the line.
func DecodeTrace(r io.Reader, w io.Writer) error {
	d := &traceDecoder{}
	return driverkit.TraceFormat{Name: "ezsp", TimedComments: true, Frames: d.frames}.Decode(r, w)
}

type traceDecoder struct {
	version uint8 // negotiated protocol version, 0 = not seen
}

// frames decodes the bytes of one trace line: ASH frames when they end
// with the Flag, else one EZSP frame.
func (d *traceDecoder) frames(b []byte) ([]string, error) {
	if b[len(b)-1] != ash.Flag {
		text, err := d.ezsp(b)
		if err != nil {
			return nil, err
		}
		return []string{"EZSP " + text}, nil
	}
	var df ash.Deframer
	df.Write(b)
	var out []string
	for {
		raw, ok := df.Next()
		if !ok {
			break
		}
		f, err := ash.ParseFrame(raw)
		if err != nil {
			return nil, err
		}
		text := f.String()
		if f.Type == ash.TypeData {
			text = fmt.Sprintf("DATA(frm=%d ack=%d", f.FrmNum, f.AckNum)
			if f.ReTx {
				text += " reTx"
			}
			e, err := d.ezsp(f.Data)
			if err != nil {
				return nil, err
			}
			text += ") " + e
		}
		out = append(out, text)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ASH frame in % X", b)
	}
	return out, nil
}

// ezsp decodes one EZSP frame, following the version exchange.
func (d *traceDecoder) ezsp(b []byte) (string, error) {
	format := DetectFormat(b)
	if d.version > 0 && d.version < 5 {
		format = FormatLegacy
	}
	f, err := ParseFrame(b, format)
	if err != nil {
		return "", err
	}
	tries := []uint8{d.version}
	if d.version == 0 {
		switch format {
		case FormatLegacy:
			tries = []uint8{4}
		case FormatLegacyExt:
			tries = []uint8{7}
		default:
			tries = []uint8{13, 14}
		}
	}
	// With the version unknown, the layout that leaves the fewest
	// trailing bytes wins (v14 frames read as v13 leave status bytes over).
	text, best := "", -1
	for _, v := range tries {
		t, e := FormatFrame(f, v)
		if e != nil {
			err = e
			continue
		}
		left := 0
		if c, ok := Lookup(f.ID, v); ok {
			if p, e := DecodeParams(c, f.IsResponse(), f.Params, v); e == nil {
				left = len(p.Bytes(TrailingKey))
			}
		}
		if best < 0 || left < best {
			text, best = t, left
			if len(tries) > 1 {
				text = fmt.Sprintf("%s (v%d layout)", t, v)
			}
		}
	}
	if best < 0 {
		var pe *ParamsError
		if !errors.As(err, &pe) {
			return "", err
		}
		return "", fmt.Errorf("%w (% X)", err, b)
	}
	if f.ID == 0 && f.IsResponse() && len(f.Params) >= 1 {
		d.version = f.Params[0]
	}
	return text, nil
}
