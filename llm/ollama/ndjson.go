package ollama

import (
	"bufio"
	"errors"
	"io"
)

var errLineTooLong = errors.New("ndjson line too long")

// lineReader splits an NDJSON stream into lines without a fixed buffer
// limit below max, and without the bufio.Scanner habit of stopping for good
// at the first over-long token without saying which.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its "\n" (and "\r"), valid until the
// following call. A last line without "\n" is returned before io.EOF.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		frag, err := l.r.ReadSlice('\n')
		l.buf = append(l.buf, frag...)
		if len(l.buf) > l.max {
			return nil, errLineTooLong
		}
		switch {
		case err == nil:
			line := l.buf[:len(l.buf)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(l.buf) > 0:
			return l.buf, nil
		default:
			return nil, err
		}
	}
}
