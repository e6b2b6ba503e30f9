package ezsp

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
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
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	d := &traceDecoder{}
	line := 0
	for sc.Scan() {
		line++
		out, err := d.line(sc.Text())
		if err != nil {
			return fmt.Errorf("ezsp: trace line %d: %w", line, err)
		}
		for _, o := range out {
			bw.WriteString(o)
			bw.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("ezsp: trace line %d: %w", line+1, err)
	}
	return bw.Flush()
}

type traceDecoder struct {
	version uint8 // negotiated protocol version, 0 = not seen
}

func (d *traceDecoder) line(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, nil
	case strings.HasPrefix(s, "#"), strings.HasPrefix(s, "---"):
		return []string{s}, nil
	}
	prefix := ""
	if i := strings.IndexAny(s, "<>#"); i > 0 {
		us, err := strconv.ParseInt(strings.TrimSpace(s[:i]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad timestamp %q: %w", s[:i], err)
		}
		prefix = time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z ")
		s = s[i:]
		if s[0] == '#' {
			return []string{prefix + s}, nil
		}
	}
	if s[0] != '>' && s[0] != '<' {
		return nil, fmt.Errorf("want \"> HEX\" or \"< HEX\", got %q", s)
	}
	prefix += s[:1] + " "
	b, err := hex.DecodeString(strings.Join(strings.Fields(s[1:]), ""))
	if err != nil {
		return nil, fmt.Errorf("bad hex: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("no bytes after %q", s[:1])
	}
	if b[len(b)-1] != ash.Flag {
		text, err := d.ezsp(b)
		if err != nil {
			return nil, err
		}
		return []string{prefix + "EZSP " + text}, nil
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
		out = append(out, prefix+text)
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
