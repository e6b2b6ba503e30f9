package mqttbridge

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
)

// TestBatchConn: packets queued with Write and publish0 reach the peer in
// order and byte-exact, and Close writes what is buffered first.
func TestBatchConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		got <- b
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newBatchConn(raw)
	long := strings.Repeat("x", 200) // remaining length needs two bytes
	var want bytes.Buffer
	for i := range 100 {
		if _, err := c.Write([]byte{0xC0, 0x00}); err != nil { // PINGREQ via paho's path
			t.Fatal(err)
		}
		want.Write([]byte{0xC0, 0x00})
		payload := `{"state":"ON"}`
		if i%10 == 0 {
			payload = long
		}
		if err := c.publish0("zhub/lamp", i%2 == 0, []byte(payload)); err != nil {
			t.Fatal(err)
		}
		h := byte(0x30)
		if i%2 == 0 {
			h |= 1
		}
		n := 2 + len("zhub/lamp") + len(payload)
		want.WriteByte(h)
		if n > 127 {
			want.Write([]byte{byte(n&0x7f) | 0x80, byte(n >> 7)})
		} else {
			want.WriteByte(byte(n))
		}
		want.Write([]byte{0, byte(len("zhub/lamp"))})
		want.WriteString("zhub/lamp" + payload)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("peer got %d bytes, want %d (first difference at %d)", len(b), want.Len(), firstDiff(b, want.Bytes()))
	}
	if _, err := c.Write([]byte{0}); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
