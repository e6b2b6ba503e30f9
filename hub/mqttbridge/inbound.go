package mqttbridge

import (
	"errors"
	"fmt"
	"io"
)

// The read side of a batchConn. paho reads every packet through a chain of
// four goroutines joined by unbuffered channels before its handler runs,
// with three system calls per packet (ReadPacket reads the first byte,
// the length and the body separately). For a /set that chain was most of
// the time between the broker's write and the frame on the serial line.
// So a batchConn with onPublish set reads the socket in large chunks
// itself and hands every PUBLISH packet (MQTT 3.1.1 §3.3) to onPublish
// on paho's reader goroutine, in the order the broker sent them; it
// acknowledges QoS 1 (PUBACK) and QoS 2 (PUBREC, then PUBCOMP for the
// PUBREL, delivering once per packet id: §4.3.3 method A) itself. paho
// still reads every other packet (CONNACK, SUBACK, PUBACK for its own
// publishes, PINGRESP) byte for byte as the broker sent it, so its
// session, keepalive and reconnect work as before.

// MQTT control packet types (MQTT 3.1.1 §2.2.1) the read side handles.
const (
	pktPublish = 3
	pktPubrel  = 6
)

// errMalformed is a packet from the broker that MQTT 3.1.1 does not
// allow; the connection is dropped (paho reconnects), as paho would.
var errMalformed = errors.New("mqttbridge: malformed packet from the broker")

// keptReadBuffer bounds the read buffer a batchConn keeps between packets;
// a larger one (a big retained message) is released once it is consumed.
const keptReadBuffer = 64 << 10

// readChunk is the least a batchConn asks the socket for.
const readChunk = 16 << 10

// Read hands paho the bytes of the packets it handles, taking PUBLISH
// packets (and the PUBRELs of QoS 2 ones) off the stream first. Only
// paho's reader calls it, one call at a time.
func (b *batchConn) Read(p []byte) (int, error) {
	if b.onPublish == nil {
		return b.Conn.Read(p)
	}
	for len(b.out) == 0 {
		if err := b.step(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// step consumes buffered input until some bytes are ready for paho,
// reading the socket when the input holds no whole step.
func (b *batchConn) step() error {
	for {
		if b.pass > 0 && len(b.in) > 0 {
			n := min(b.pass, len(b.in))
			b.out = append(b.out[:0], b.in[:n]...)
			b.in, b.pass = b.in[n:], b.pass-n
			return nil
		}
		if b.pass == 0 && len(b.in) > 0 {
			consumed, err := b.packet()
			if err != nil {
				return err
			}
			if consumed {
				continue
			}
			if b.pass > 0 {
				continue
			}
		}
		if err := b.fill(); err != nil {
			return err
		}
	}
}

// packet handles the packet at the start of b.in: a PUBLISH or one of
// our QoS 2 PUBRELs is consumed (true); any other packet is passed to
// paho (b.pass is set). It returns false with b.pass zero when the input
// does not hold enough of the packet yet.
func (b *batchConn) packet() (bool, error) {
	first, rem, hdr, ok, err := fixedHeader(b.in)
	if err != nil || !ok {
		return false, err
	}
	total := hdr + rem
	switch first >> 4 {
	case pktPublish:
		if len(b.in) < total {
			b.need = total
			return false, nil
		}
		if err := b.publish(first, b.in[hdr:total]); err != nil {
			return false, err
		}
		b.in = b.in[total:]
		return true, nil
	case pktPubrel:
		if rem != 2 {
			break
		}
		if len(b.in) < total {
			b.need = total
			return false, nil
		}
		id := uint16(b.in[hdr])<<8 | uint16(b.in[hdr+1])
		if !b.qos2[id] {
			break // not one of ours: paho's
		}
		delete(b.qos2, id)
		b.in = b.in[total:]
		return true, b.control(0x70, id) // PUBCOMP
	}
	b.pass = total
	return false, nil
}

// publish delivers one PUBLISH body and acknowledges it.
func (b *batchConn) publish(first byte, body []byte) error {
	qos := (first >> 1) & 3
	if qos == 3 || len(body) < 2 {
		return errMalformed
	}
	tl := int(body[0])<<8 | int(body[1])
	pos := 2 + tl
	if qos > 0 {
		pos += 2
	}
	if len(body) < pos {
		return errMalformed
	}
	topic, payload := string(body[2:2+tl]), body[pos:]
	var id uint16
	if qos > 0 {
		id = uint16(body[2+tl])<<8 | uint16(body[3+tl])
	}
	switch qos {
	case 0:
		b.onPublish(topic, payload)
		return nil
	case 1:
		b.onPublish(topic, payload)
		return b.control(0x40, id) // PUBACK
	}
	if !b.qos2[id] { // a resent PUBLISH before its PUBREL is not delivered again
		if b.qos2 == nil {
			b.qos2 = map[uint16]bool{}
		}
		b.qos2[id] = true
		b.onPublish(topic, payload)
	}
	return b.control(0x50, id) // PUBREC
}

// fill reads from the socket into b.in: at least readChunk bytes of
// room, and room for the whole packet at the start of b.in.
func (b *batchConn) fill() error {
	want := max(b.need, readChunk)
	b.need = 0
	switch {
	case cap(b.rbuf) < want:
		nb := make([]byte, len(b.in), want)
		copy(nb, b.in)
		b.rbuf, b.in = nb[:0], nb
	case len(b.in) == 0 && cap(b.rbuf) > keptReadBuffer:
		b.rbuf = make([]byte, 0, readChunk) // a big packet is done with
		b.in = b.rbuf
	default:
		// Move the unparsed rest (part of one packet) to the front.
		n := copy(b.rbuf[:cap(b.rbuf)], b.in)
		b.in = b.rbuf[:n]
	}
	n, err := b.Conn.Read(b.in[len(b.in):cap(b.in)])
	b.in = b.in[:len(b.in)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// fixedHeader parses an MQTT fixed header: the first byte and the
// remaining length (§2.2.3). ok is false while b is too short.
func fixedHeader(b []byte) (first byte, rem, hdr int, ok bool, err error) {
	mult := 1
	for i := 1; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, 0, false, nil
		}
		rem += int(b[i]&0x7f) * mult
		if b[i]&0x80 == 0 {
			return b[0], rem, i + 1, true, nil
		}
		mult <<= 7
	}
	return 0, 0, 0, false, fmt.Errorf("%w: remaining length over 4 bytes", errMalformed)
}

// control queues a two-byte acknowledgement packet (PUBACK, PUBREC,
// PUBCOMP) after everything written so far.
func (b *batchConn) control(first byte, id uint16) error {
	_, err := b.Write([]byte{first, 2, byte(id >> 8), byte(id)})
	return err
}
