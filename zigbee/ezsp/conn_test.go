package ezsp

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
)

// scriptNCP is an NCP whose answer to every EZSP command is written by the
// test: answer gets the command and returns the EZSP frames to send back.
func scriptNCP(t *testing.T, answer func(cmd Frame) []Frame) *Conn {
	t.Helper()
	host, ncp := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var d ash.Deframer
		buf := make([]byte, 512)
		frm, next := uint8(0), uint8(0)
		for {
			n, err := ncp.Read(buf)
			if err != nil {
				return
			}
			d.Write(buf[:n])
			for {
				raw, ok := d.Next()
				if !ok {
					break
				}
				f, err := ash.ParseFrame(raw)
				if err != nil {
					continue
				}
				var out []byte
				switch f.Type {
				case ash.TypeRST:
					out, _ = ash.AppendFrame([]byte{ash.Cancel}, ash.Frame{Type: ash.TypeRSTACK, Code: 0x0B})
				case ash.TypeData:
					next = (f.FrmNum + 1) & 7
					cmd, err := ParseFrame(f.Data, DetectFormat(f.Data))
					if err != nil {
						t.Errorf("host sent % X: %v", f.Data, err)
						return
					}
					for _, r := range answer(cmd) {
						b, _ := AppendFrame(nil, r)
						out, _ = ash.AppendFrame(out, ash.Frame{Type: ash.TypeData, FrmNum: frm, AckNum: next, Data: b})
						frm = (frm + 1) & 7
					}
					if len(out) == 0 {
						out, _ = ash.AppendFrame(nil, ash.Frame{Type: ash.TypeACK, AckNum: next})
					}
				default:
					continue
				}
				if _, err := ncp.Write(out); err != nil {
					return
				}
			}
		}
	}()
	l, err := ash.Connect(t.Context(), host, ash.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(l, ConnConfig{Timeout: 300 * time.Millisecond})
	t.Cleanup(func() {
		c.Close()
		ncp.Close()
		<-done
	})
	return c
}

func TestConnCorrelation(t *testing.T) {
	nop := func(seq, fc uint8) Frame { return Frame{Seq: seq, Control: fc, ID: 0x0005, Format: FormatExtended} }
	stackUp := func(seq uint8) Frame {
		return Frame{Seq: seq, Control: FCResponse | FCCallback, ID: 0x0019, Params: []byte{0x15, 0, 0, 0}, Format: FormatExtended}
	}
	var script func(cmd Frame) []Frame
	c := scriptNCP(t, func(cmd Frame) []Frame {
		if cmd.ID == 0 { // version: v4 asked, v14 answered
			return []Frame{{Seq: cmd.Seq, Control: FCResponse, ID: 0, Params: []byte{14, 2, 0x20, 0x80}, Format: cmd.Format}}
		}
		return script(cmd)
	})
	vi, err := c.Negotiate(t.Context())
	if err != nil || vi.Protocol != 14 || vi.StackString() != "8.0.2.0" || c.Version() != 14 {
		t.Fatalf("negotiate: %+v, %v", vi, err)
	}
	tests := []struct {
		name     string
		answer   func(cmd Frame) []Frame
		want     error
		callback bool
	}{
		// A callback carrying the command's sequence number before the
		// response is still a callback (fc bit 0x10, ezsp.md §5.3).
		{"callback_with_same_seq_first", func(cmd Frame) []Frame {
			return []Frame{stackUp(cmd.Seq), nop(cmd.Seq, FCResponse)}
		}, nil, true},
		{"late_response_dropped", func(cmd Frame) []Frame {
			return []Frame{nop(cmd.Seq-1, FCResponse), nop(cmd.Seq, FCResponse)}
		}, nil, false},
		{"truncated", func(cmd Frame) []Frame { return []Frame{nop(cmd.Seq, FCResponse|FCTruncated)} }, ErrTruncated, false},
		{"invalid_command", func(cmd Frame) []Frame {
			return []Frame{{Seq: cmd.Seq, Control: FCResponse, ID: 0x0058, Params: []byte{EzspErrInvalidFrameID}, Format: FormatExtended}}
		}, ErrInvalidCommand, false},
		{"other_frame_id", func(cmd Frame) []Frame {
			return []Frame{{Seq: cmd.Seq, Control: FCResponse, ID: 0x0007, Format: FormatExtended}}
		}, ErrUnexpectedResponse, false},
		{"no_response", func(cmd Frame) []Frame { return nil }, zigbee.ErrTimeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script = tt.answer
			_, err := c.Call(t.Context(), "nop", nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if tt.callback {
				select {
				case cb := <-c.Callbacks():
					if cb.Command.Name != "stackStatusHandler" || cb.Params.Uint("status") != uint64(SLNetworkUp) {
						t.Fatalf("callback %v %v", cb.Command, cb.Params)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("no callback")
				}
			}
		})
	}
}

func TestConnRefusesOldFirmware(t *testing.T) {
	c := scriptNCP(t, func(cmd Frame) []Frame {
		return []Frame{{Seq: cmd.Seq, Control: FCResponse, ID: 0, Params: []byte{12, 2, 0x30, 0x73}, Format: cmd.Format}}
	})
	_, err := c.Negotiate(t.Context())
	if !errors.Is(err, ErrVersion) || err.Error() != "ezsp: unsupported EZSP protocol version: firmware too old: EZSP v12 (EmberZNet 7.3.3.0), update to EmberZNet 7.4+" {
		t.Fatalf("err %v", err)
	}
}
