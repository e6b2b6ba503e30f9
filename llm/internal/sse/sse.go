package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge is returned when one event's data exceeds the Reader's limit.
var ErrTooLarge = errors.New("sse: event too large")

// DefaultMaxEvent bounds one event's data when NewReader gets max <= 0.
const DefaultMaxEvent = 4 << 20

// Event is one dispatched event. Data is valid until the next call of Next.
type Event struct {
	// Type is the "event" field; empty when the stream sent none.
	Type string
	// Data is the "data" lines joined with "\n".
	Data []byte
	// ID is the last "id" field seen (it persists across events).
	ID string
}

// Reader splits a body into events. It is not safe for concurrent use.
type Reader struct {
	r       *bufio.Reader
	max     int
	line    []byte
	data    []byte
	typ     string
	id      string
	hasData bool
	started bool // past the optional BOM
	lastCR  bool // the previous line ended in a lone CR: skip a following LF
}

// NewReader reads events from r; max bounds one event's data (<= 0:
// DefaultMaxEvent).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxEvent
	}
	return &Reader{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// Next returns the next event, io.EOF at the end of the body, ErrTooLarge
// for an oversized event, or the body's read error.
func (s *Reader) Next() (Event, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 {
			if !s.hasData {
				s.typ = ""
				continue
			}
			ev := Event{Type: s.typ, Data: s.data, ID: s.id}
			s.data, s.typ, s.hasData = s.data[:0:0], "", false
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			if len(s.data)+len(value) > s.max {
				return Event{}, fmt.Errorf("%w: more than %d bytes of data", ErrTooLarge, s.max)
			}
			s.data = append(s.data, value...)
			s.hasData = true
		case "event":
			s.typ = string(value)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				s.id = string(value)
			}
		}
		// "retry" and unknown fields are ignored: zhub never reconnects a
		// model's answer (a retried request could repeat tool calls).
	}
}

// readLine returns the next line without its terminator, valid until the
// next call. A line longer than the data limit (plus room for the field
// name) fails with ErrTooLarge.
func (s *Reader) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				// A last line without a terminator is dropped with the
				// event it belongs to.
				return nil, io.EOF
			}
			return nil, err
		}
		if !s.started {
			s.started = true
			if b == 0xEF {
				if bom, _ := s.r.Peek(2); len(bom) == 2 && bom[0] == 0xBB && bom[1] == 0xBF {
					s.r.Discard(2)
					continue
				}
			}
		}
		switch b {
		case '\n':
			if s.lastCR && len(s.line) == 0 {
				s.lastCR = false
				continue // the LF of a CRLF
			}
			s.lastCR = false
			return s.line, nil
		case '\r':
			s.lastCR = true
			return s.line, nil
		}
		s.lastCR = false
		if len(s.line) > s.max+16 {
			return nil, fmt.Errorf("%w: a line of more than %d bytes", ErrTooLarge, s.max)
		}
		s.line = append(s.line, b)
	}
}
