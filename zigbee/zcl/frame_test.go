package zcl

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseFrameVectors(t *testing.T) {
	// Expected headers, checked by hand against ZCL §2.4.1.
	want := map[string]Frame{
		"010600":                       {Type: FrameCluster, TSN: 6, Command: 0x00},
		"100500050508050b05":           {Type: FrameGlobal, DisableDefaultResponse: true, TSN: 5, Command: CmdReadAttributes},
		"18160b0a00":                   {Type: FrameGlobal, Direction: ServerToClient, DisableDefaultResponse: true, TSN: 0x16, Command: CmdDefaultResponse},
		"1925060047ca00490b02e2f00100": {Type: FrameCluster, Direction: ServerToClient, DisableDefaultResponse: true, TSN: 0x25, Command: 0x06},
		"088d0a000021d678":             {Type: FrameGlobal, Direction: ServerToClient, TSN: 0x8d, Command: CmdReportAttributes},
		"180b010000002001":             {Type: FrameGlobal, Direction: ServerToClient, DisableDefaultResponse: true, TSN: 0x0b, Command: CmdReadAttributesResponse},
		"010802":                       {Type: FrameCluster, TSN: 8, Command: 0x02},
	}
	for _, v := range frameVectors {
		t.Run(v.name, func(t *testing.T) {
			b := unhex(t, v.hex)
			f, err := ParseFrame(b)
			if err != nil {
				t.Fatalf("ParseFrame: %v", err)
			}
			if w, ok := want[v.hex]; ok {
				got := f
				got.Payload = nil
				if got.Type != w.Type || got.Direction != w.Direction || got.DisableDefaultResponse != w.DisableDefaultResponse ||
					got.TSN != w.TSN || got.Command != w.Command || got.ManufacturerSpecific {
					t.Errorf("header = %+v, want %+v", got, w)
				}
			}
			if !bytes.Equal(f.Payload, b[3:]) {
				t.Errorf("payload = %x, want %x", f.Payload, b[3:])
			}
			if enc := f.Encode(); !bytes.Equal(enc, b) {
				t.Errorf("Encode = %x, want %x", enc, b)
			}
			if f.Type == FrameGlobal {
				p, err := ParseGlobalPayload(f.Command, f.Payload)
				if err != nil {
					t.Fatalf("ParseGlobalPayload(%s): %v", GlobalCommandName(f.Command), err)
				}
				if enc := p.AppendTo(nil); !bytes.Equal(enc, f.Payload) {
					t.Errorf("payload re-encodes as %x, want %x", enc, f.Payload)
				}
			}
		})
	}
}

func TestFrameManufacturerSpecific(t *testing.T) {
	// Synthesized: Xiaomi-style manufacturer-specific read of 0xFF01 (mfr 0x115F).
	b := unhex(t, "145f11200001ff")
	f, err := ParseFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	if !f.ManufacturerSpecific || f.ManufacturerCode != 0x115F || f.TSN != 0x20 || f.Command != CmdReadAttributes ||
		!f.DisableDefaultResponse || f.Direction != ClientToServer {
		t.Fatalf("got %+v", f)
	}
	if !bytes.Equal(f.Encode(), b) {
		t.Fatalf("re-encode %x", f.Encode())
	}
	if f.HeaderLen() != 5 {
		t.Fatalf("HeaderLen = %d", f.HeaderLen())
	}
}

func TestFrameReservedBitsPreserved(t *testing.T) {
	b := unhex(t, "e10102")
	f, err := ParseFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Reserved != 7 || f.Type != FrameCluster {
		t.Fatalf("got %+v", f)
	}
	if !bytes.Equal(f.Encode(), b) {
		t.Fatalf("re-encode %x", f.Encode())
	}
}

func TestParseFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrShortFrame},
		{"control only", "01", ErrShortFrame},
		{"no command", "0105", ErrShortFrame},
		{"manufacturer code cut", "045f", ErrShortFrame},
		{"manufacturer no tsn", "045f11", ErrShortFrame},
		{"manufacturer no command", "045f1101", ErrShortFrame},
		{"reserved frame type 2", "020100", ErrReservedFrameType},
		{"reserved frame type 3", "030100", ErrReservedFrameType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFrame(unhex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %T is not *DecodeError", err)
			}
		})
	}
}

func TestReply(t *testing.T) {
	req := Frame{Type: FrameGlobal, ManufacturerSpecific: true, ManufacturerCode: 0x1234, TSN: 9, Command: CmdReadAttributes}
	rsp := req.Reply(FrameGlobal, CmdReadAttributesResponse, []byte{1})
	if rsp.TSN != 9 || rsp.Direction != ServerToClient || !rsp.DisableDefaultResponse ||
		rsp.ManufacturerCode != 0x1234 || !rsp.ManufacturerSpecific || rsp.Command != CmdReadAttributesResponse {
		t.Fatalf("reply = %+v", rsp)
	}
	if !req.WantsDefaultResponse() || rsp.WantsDefaultResponse() {
		t.Fatal("WantsDefaultResponse wrong")
	}
	dr := Frame{Type: FrameGlobal, Command: CmdDefaultResponse}
	if dr.WantsDefaultResponse() {
		t.Fatal("a default response must not ask for one")
	}
}

func FuzzParseFrame(f *testing.F) {
	for _, b := range vectorFrames(f) {
		f.Add(b)
	}
	f.Add([]byte{0x14, 0x5f, 0x11, 0x20, 0x00, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b)
		if err != nil {
			return
		}
		if enc := fr.Encode(); !bytes.Equal(enc, b) {
			t.Fatalf("re-encode %x, want %x", enc, b)
		}
		if fr.Type == FrameGlobal {
			p, err := ParseGlobalPayload(fr.Command, fr.Payload)
			if err != nil {
				return
			}
			if enc := p.AppendTo(nil); !bytes.Equal(enc, fr.Payload) {
				t.Fatalf("%s payload re-encodes %x, want %x", GlobalCommandName(fr.Command), enc, fr.Payload)
			}
		}
	})
}
