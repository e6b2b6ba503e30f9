package sim

import (
	"testing"

	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
)

// FuzzEZSPCommand feeds arbitrary commands to the emulated NCP after a
// version exchange: no frame id and no parameter bytes make it panic, and
// every answer is a well-formed EZSP response.
func FuzzEZSPCommand(f *testing.F) {
	f.Add(uint16(0x0034), []byte{0x00, 0x34, 0x12, 0x04, 0x01, 0x06, 0x00, 0x01, 0x01, 0x40, 0x11, 0x00, 0x00, 0x00, 0x11, 0x00, 0x03, 0x01, 0x05, 0x01}, false)
	f.Add(uint16(0x001E), make([]byte, 20), true)
	f.Add(uint16(0x0068), make([]byte, 43), false)
	f.Add(uint16(0x0002), []byte{0x01, 0x04, 0x01, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x06, 0x00}, false)
	f.Add(uint16(0x00AB), []byte{0x23, 0x04, 0x01, 0x02, 0x03, 0x04}, false)
	f.Add(uint16(0x0114), make([]byte, 18), true)
	f.Fuzz(func(t *testing.T, id uint16, params []byte, v14 bool) {
		version := uint8(13)
		if v14 {
			version = 14
		}
		n, err := NewEZSP(Config{Seed: 1}, EZSPConfig{Version: version})
		if err != nil {
			t.Fatal(err)
		}
		e := n.front.(*ezspNCP)
		var out [][]byte
		n.linkMu.Lock()
		l := &link{n: n, out: make(chan []byte, 64)}
		n.links[l] = struct{}{}
		n.linkMu.Unlock()
		e.connected, e.version = true, version
		for len(params) > ash.MaxData-5 {
			params = params[:ash.MaxData-5]
		}
		frame := append([]byte{0x42, 0x00, 0x01, byte(id), byte(id >> 8)}, params...)
		e.command(frame)
	drain:
		for {
			select {
			case b := <-l.out:
				out = append(out, b)
			default:
				break drain
			}
		}
		var d ash.Deframer
		for _, b := range out {
			d.Write(b)
		}
		for {
			raw, ok := d.Next()
			if !ok {
				break
			}
			fr, err := ash.ParseFrame(raw)
			if err != nil {
				t.Fatalf("bad ASH frame from the NCP: %v", err)
			}
			if fr.Type != ash.TypeData {
				continue
			}
			rf, err := ezsp.ParseFrame(fr.Data, ezsp.FormatExtended)
			if err != nil || !rf.IsResponse() {
				t.Fatalf("bad EZSP frame % X: %v", fr.Data, err)
			}
			if !rf.IsCallback() && rf.Seq != 0x42 {
				t.Fatalf("response with sequence %d", rf.Seq)
			}
			if _, _, err := ezsp.Decode(rf, version); err != nil && rf.ID != 0x0058 {
				t.Fatalf("undecodable answer %X: %v", fr.Data, err)
			}
		}
	})
}
