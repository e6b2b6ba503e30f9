package znp

// SplitFrames is a bufio.SplitFunc that yields complete, FCS-valid UNPI frames
// from a byte stream. It follows the receive state machine of
// protocol/znp.md §2.2: bytes before a SOF are skipped, a SOF whose LEN is
// above 250 or whose FCS does not match is skipped (only that one byte, so a
// real frame starting inside the candidate is still found), and a SOF inside
// a frame of known length never resynchronises. It never returns an error, so
// a bufio.Scanner over a noisy line keeps going; use a Splitter to count what
// was skipped.
func SplitFrames(data []byte, atEOF bool) (advance int, token []byte, err error) {
	var s Splitter
	return s.Split(data, atEOF)
}

// Splitter is a SplitFunc with counters for the bytes it skipped. Its Split
// method must be used by one goroutine at a time (as bufio.Scanner does); the
// counters may be read after the scan or from the same goroutine.
type Splitter struct {
	// Garbage counts bytes dropped while searching for a SOF.
	Garbage uint64
	// BadFCS counts candidate frames whose checksum did not match.
	BadFCS uint64
	// TooLong counts SOF bytes followed by a LEN above 250.
	TooLong uint64
}

// Split implements bufio.SplitFunc.
func (s *Splitter) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for {
		i := indexSOF(data[advance:])
		if i < 0 {
			s.Garbage += uint64(len(data) - advance)
			return len(data), nil, nil
		}
		s.Garbage += uint64(i)
		advance += i
		rest := data[advance:]
		need := 2 // SOF and LEN
		if len(rest) >= 2 {
			if int(rest[1]) > MaxPayload {
				s.TooLong++
				s.Garbage++
				advance++
				continue
			}
			need = int(rest[1]) + frameOverhead
		}
		if len(rest) < need {
			if !atEOF {
				return advance, nil, nil
			}
			// The stream ended inside this candidate, so its SOF was
			// garbage; a complete frame may still start after it.
			s.Garbage++
			advance++
			continue
		}
		n := int(rest[1])
		if FCS(rest[1:n+4]) != rest[n+4] {
			s.BadFCS++
			s.Garbage++
			advance++
			continue
		}
		return advance + n + frameOverhead, rest[:n+frameOverhead], nil
	}
}

func indexSOF(b []byte) int {
	for i, c := range b {
		if c == SOF {
			return i
		}
	}
	return -1
}
