package mqttbridge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// streamConn is a hand-written net.Conn: reads come from a fixed byte
// stream (through an iotest reader that splits it), writes are recorded.
type streamConn struct {
	r io.Reader

	mu    sync.Mutex
	wrote bytes.Buffer
}

func (c *streamConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *streamConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrote.Write(p)
}
func (c *streamConn) written() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.wrote.Bytes())
}
func (c *streamConn) Close() error                     { return nil }
func (c *streamConn) LocalAddr() net.Addr              { return nil }
func (c *streamConn) RemoteAddr() net.Addr             { return nil }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// pub encodes a PUBLISH (MQTT 3.1.1 §3.3) the way a broker sends it.
func pub(t *testing.T, topic, payload string, qos byte, id uint16, dup bool) []byte {
	t.Helper()
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.TopicName, p.Payload, p.Qos, p.MessageID, p.Dup = topic, []byte(payload), qos, id, dup
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInbound: a batchConn hands every PUBLISH to onPublish in order,
// once (a resent QoS 2 PUBLISH is not delivered twice), acknowledges
// QoS 1 and 2 in MQTT's words, answers the PUBREL of its QoS 2 messages,
// and passes every other packet to paho byte-exact — however the socket
// splits the stream.
func TestInbound(t *testing.T) {
	big := strings.Repeat("x", 3*readChunk) // grows the read buffer
	var stream bytes.Buffer
	stream.Write([]byte{0x20, 0x02, 0x00, 0x00}) // CONNACK
	stream.Write(pub(t, "zhub/lamp/set", `{"state":"ON"}`, 0, 0, false))
	stream.Write([]byte{0x90, 0x03, 0x00, 0x07, 0x01}) // SUBACK id 7
	stream.Write(pub(t, "zhub/lamp/set/brightness", "12", 1, 0x0102, false))
	stream.Write(pub(t, "zhub/bridge/request/health_check", "", 2, 0x0203, false))
	stream.Write(pub(t, "zhub/bridge/request/health_check", "", 2, 0x0203, true)) // resent before PUBREL
	stream.Write([]byte{0x62, 0x02, 0x02, 0x03})                                  // PUBREL of ours
	stream.Write([]byte{0x62, 0x02, 0x09, 0x09})                                  // PUBREL paho must see
	stream.Write(pub(t, "homeassistant/light/x/config", big, 0, 0, false))
	stream.Write([]byte{0x40, 0x02, 0x00, 0x05}) // PUBACK for paho's own publish
	stream.Write([]byte{0xD0, 0x00})             // PINGRESP
	stream.Write(pub(t, "zhub/lamp/set", `{"state":"OFF"}`, 0, 0, false))

	wantMsgs := []string{
		`zhub/lamp/set {"state":"ON"}`,
		`zhub/lamp/set/brightness 12`,
		`zhub/bridge/request/health_check `,
		`homeassistant/light/x/config ` + big,
		`zhub/lamp/set {"state":"OFF"}`,
	}
	wantPaho := []string{"CONNACK", "SUBACK", "PUBREL", "PUBACK", "PINGRESP"}
	wantAcks := []byte{
		0x40, 0x02, 0x01, 0x02, // PUBACK
		0x50, 0x02, 0x02, 0x03, // PUBREC
		0x50, 0x02, 0x02, 0x03, // PUBREC for the resent one
		0x70, 0x02, 0x02, 0x03, // PUBCOMP
	}
	for _, tc := range []struct {
		name string
		r    func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"halves", iotest.HalfReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := &streamConn{r: tc.r(bytes.NewReader(stream.Bytes()))}
			var msgs []string
			c := newBatchConn(sc)
			c.onPublish = func(topic string, payload []byte) { msgs = append(msgs, topic+" "+string(payload)) }
			var paho []string
			for {
				p, err := packets.ReadPacket(c)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("paho's reader: %v", err)
				}
				name := strings.TrimSuffix(strings.Fields(p.String())[0], ":")
				if pr, ok := p.(*packets.PubrelPacket); ok && pr.MessageID != 0x0909 {
					t.Fatalf("paho got our PUBREL %d", pr.MessageID)
				}
				paho = append(paho, name)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(msgs) != fmt.Sprint(wantMsgs) {
				t.Errorf("delivered %d messages:\n%.200q\nwant\n%.200q", len(msgs), msgs, wantMsgs)
			}
			if fmt.Sprint(paho) != fmt.Sprint(wantPaho) {
				t.Errorf("paho read %v, want %v", paho, wantPaho)
			}
			if got := sc.written(); !bytes.Equal(got, wantAcks) {
				t.Errorf("acknowledgements % x, want % x", got, wantAcks)
			}
		})
	}
}

// TestInboundMalformed: a PUBLISH MQTT does not allow ends the connection
// (paho sees a read error and reconnects), as paho itself would.
func TestInboundMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream []byte
	}{
		{"QoS 3", []byte{0x36, 0x04, 0x00, 0x01, 'a', 'b'}},
		{"topic past the end", []byte{0x30, 0x03, 0x00, 0x09, 'a'}},
		{"no packet id", []byte{0x32, 0x03, 0x00, 0x01, 'a'}},
		{"length over 4 bytes", []byte{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newBatchConn(&streamConn{r: bytes.NewReader(tc.stream)})
			defer c.Close()
			c.onPublish = func(topic string, _ []byte) { t.Errorf("delivered %q", topic) }
			if _, err := packets.ReadPacket(c); !errors.Is(err, errMalformed) {
				t.Fatalf("read error %v, want errMalformed", err)
			}
		})
	}
}
