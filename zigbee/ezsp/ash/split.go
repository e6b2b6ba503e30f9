package ash

import "bytes"

// Deframer cuts a byte stream from the line into raw frames (the bytes
// between two Flags, still escaped) following the receive rules of
// ezsp.md §2.1: a Cancel drops what came before it in the frame, a frame
// holding a Substitute is dropped whole, XON and XOFF are removed, empty
// frames (repeated Flags) are skipped, and a run of more than MaxWire bytes
// without a Flag is dropped up to the next Flag. ParseFrame then checks each raw frame.
//
// The zero value is ready to use. A Deframer is not safe for concurrent use.
type Deframer struct {
	buf        []byte
	start      int  // bytes of buf already consumed
	discarding bool // an overlong run is being dropped up to the next Flag
	// Counters of what was dropped.
	Cancelled   uint64 // bytes dropped by a Cancel
	Substituted uint64 // frames dropped because of a Substitute
	Overlong    uint64 // bytes dropped because no Flag came in time
}

// Write appends received bytes. It never fails.
func (d *Deframer) Write(p []byte) (int, error) {
	if d.start > 0 {
		// Reuse the consumed front of the buffer.
		n := copy(d.buf, d.buf[d.start:])
		d.buf, d.start = d.buf[:n], 0
	}
	d.buf = append(d.buf, p...)
	return len(p), nil
}

// Next returns the next raw frame, or false when the buffered bytes hold no
// complete frame. The returned slice is valid until the next Write.
func (d *Deframer) Next() ([]byte, bool) {
	for d.start < len(d.buf) {
		adv, tok := d.split(d.buf[d.start:])
		if adv == 0 {
			return nil, false
		}
		d.start += adv
		if tok != nil {
			return tok, true
		}
	}
	return nil, false
}

// Buffered returns the number of bytes waiting for a Flag.
func (d *Deframer) Buffered() int { return len(d.buf) - d.start }

// split finds the first frame in data: advance is how many bytes it used
// (0 = need more), tok the raw frame or nil when the bytes were dropped.
//
// Lengths are counted on the line bytes (XON/XOFF included) so that where
// the stream is cut between two Writes never changes what comes out: once
// more than MaxWire bytes have gone by without a Flag, the Deframer drops
// everything up to the next Flag, unless a Cancel starts a new frame first.
func (d *Deframer) split(data []byte) (advance int, tok []byte) {
	i := bytes.IndexByte(data, Flag)
	if i < 0 {
		if c := bytes.LastIndexByte(data, Cancel); c >= 0 {
			d.Cancelled += uint64(c + 1)
			d.discarding = false
			return c + 1, nil
		}
		if d.discarding || len(data) > MaxWire {
			d.Overlong += uint64(len(data))
			d.discarding = true
			return len(data), nil
		}
		return 0, nil
	}
	frame := data[:i]
	if c := bytes.LastIndexByte(frame, Cancel); c >= 0 {
		d.Cancelled += uint64(c + 1)
		d.discarding = false
		frame = frame[c+1:]
	}
	if d.discarding || len(frame) > MaxWire {
		d.Overlong += uint64(len(frame))
		d.discarding = false
		return i + 1, nil
	}
	if bytes.IndexByte(frame, Substitute) >= 0 {
		d.Substituted++
		return i + 1, nil
	}
	if bytes.IndexByte(frame, XON) >= 0 || bytes.IndexByte(frame, XOFF) >= 0 {
		clean := make([]byte, 0, len(frame))
		for _, b := range frame {
			if b != XON && b != XOFF {
				clean = append(clean, b)
			}
		}
		frame = clean
	}
	if len(frame) == 0 {
		return i + 1, nil
	}
	return i + 1, frame
}
