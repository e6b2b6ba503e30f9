package driverkit

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// TraceFormat is the line syntax the drivers' frame traces share
// (shared/protocol/vectors/*/traces, `zhub sim --trace`):
//
//	# comment                      copied to the output
//	---                            a gap in the capture, copied
//	> HEX                          host → coordinator
//	< HEX                          coordinator → host
//	1764080000123456 > HEX         with a Unix-microseconds timestamp
//
// Hex may contain spaces. Frames decodes the bytes of one line into
// output lines; each gets the line's prefix: the UTC time when the line
// had a timestamp, then the direction ("2025-11-25T14:13:20.123456Z > ").
type TraceFormat struct {
	// Name is the driver, as error prefix ("znp").
	Name string
	// TimedComments also accepts "1764080000123456 # comment", copied
	// with its time (the simulator writes these).
	TimedComments bool
	// Frames decodes the bytes of one line (at least one byte).
	Frames func(b []byte) ([]string, error)
}

// Decode reads a trace from r and writes the decoded lines to w. The first
// line that does not parse, or whose bytes Frames refuses, stops it with
// an error naming the line ("znp: trace line 3: …").
func (t TraceFormat) Decode(r io.Reader, w io.Writer) error {
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		out, err := t.line(sc.Text())
		if err != nil {
			return fmt.Errorf("%s: trace line %d: %w", t.Name, line, err)
		}
		for _, o := range out {
			bw.WriteString(o)
			bw.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: trace line %d: %w", t.Name, line+1, err)
	}
	return bw.Flush()
}

// line returns the output lines of one input line.
func (t TraceFormat) line(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, nil
	case strings.HasPrefix(s, "#"), strings.HasPrefix(s, "---"):
		return []string{s}, nil
	}
	marks := "<>"
	if t.TimedComments {
		marks = "<>#"
	}
	prefix := ""
	if i := strings.IndexAny(s, marks); i > 0 {
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
	texts, err := t.Frames(b)
	if err != nil {
		return nil, err
	}
	for i := range texts {
		texts[i] = prefix + texts[i]
	}
	return texts, nil
}
