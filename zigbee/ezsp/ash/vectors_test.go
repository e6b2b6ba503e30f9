package ash

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

const vectorDir = "../../../../shared/protocol/vectors/ezsp"

type ashVector struct {
	Name       string  `json:"name"`
	Hex        string  `json:"hex"`
	Kind       string  `json:"kind"`
	FrmNum     *uint8  `json:"frm_num"`
	AckNum     *uint8  `json:"ack_num"`
	ReTx       *bool   `json:"re_tx"`
	NotReady   *bool   `json:"n_rdy"`
	EZSP       *string `json:"decoded_ezsp_hex"`
	Version    *uint8  `json:"ash_version"`
	Code       *uint8  `json:"code"`
	Cancel     bool    `json:"cancel_prefix"`
	Randomized *bool   `json:"randomized"`
}

func loadVectors[T any](t testing.TB, file string) []T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorDir, file))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var doc struct {
		Vectors []T `json:"vectors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatalf("%s: no vectors", file)
	}
	return doc.Vectors
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// wireFrames runs a Deframer over b and returns the raw frames.
func wireFrames(b []byte) [][]byte {
	var d Deframer
	d.Write(b)
	var out [][]byte
	for {
		f, ok := d.Next()
		if !ok {
			return out
		}
		out = append(out, bytes.Clone(f))
	}
}

func (v ashVector) codec() Codec { return Codec{NoRandomize: v.Randomized != nil && !*v.Randomized} }

func (v ashVector) check(t *testing.T, f Frame) {
	t.Helper()
	if got := f.Type.String(); got != v.Kind {
		t.Fatalf("type %s, want %s", got, v.Kind)
	}
	if v.FrmNum != nil && f.FrmNum != *v.FrmNum {
		t.Errorf("frmNum %d, want %d", f.FrmNum, *v.FrmNum)
	}
	if v.AckNum != nil && f.AckNum != *v.AckNum {
		t.Errorf("ackNum %d, want %d", f.AckNum, *v.AckNum)
	}
	if v.ReTx != nil && f.ReTx != *v.ReTx {
		t.Errorf("reTx %v, want %v", f.ReTx, *v.ReTx)
	}
	if v.NotReady != nil && f.NotReady != *v.NotReady {
		t.Errorf("nRdy %v, want %v", f.NotReady, *v.NotReady)
	}
	if v.EZSP != nil && hex.EncodeToString(f.Data) != *v.EZSP {
		t.Errorf("data %x, want %s", f.Data, *v.EZSP)
	}
	if v.Version != nil && f.Version != *v.Version {
		t.Errorf("version %d, want %d", f.Version, *v.Version)
	}
	if v.Code != nil && f.Code != *v.Code {
		t.Errorf("code 0x%02X, want 0x%02X", f.Code, *v.Code)
	}
}

func TestFrameVectors(t *testing.T) {
	for _, v := range loadVectors[ashVector](t, "ash_frames.json") {
		t.Run(v.Name, func(t *testing.T) {
			wire := unhex(t, v.Hex)
			raws := wireFrames(wire)
			if len(raws) != 1 {
				t.Fatalf("deframer found %d frames, want 1", len(raws))
			}
			f, err := v.codec().Parse(raws[0])
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			v.check(t, f)
			out := []byte{}
			if v.Cancel {
				out = append(out, Cancel)
			}
			out, err = v.codec().Append(out, f)
			if err != nil {
				t.Fatalf("append: %v", err)
			}
			if !bytes.Equal(out, wire) {
				t.Errorf("re-encoded % X\nwant        % X", out, wire)
			}
		})
	}
}

type malformedVector struct {
	Name   string `json:"name"`
	Hex    string `json:"hex"`
	Defect string `json:"defect"`
}

func TestMalformedVectors(t *testing.T) {
	want := map[string]error{
		"bad_crc_data_frame_from_herdsman_tests":     ErrBadCRC,
		"ug101_quoted_data_5_3_0_randomized_bad_crc": ErrBadCRC,
		"ug101_quoted_error_frame_bad_crc":           ErrBadCRC,
		"escape_immediately_before_flag":             nil, // accepted as the RST it ends
		"escape_followed_by_non_reserved_byte":       ErrBadEscape,
		"oversize_data_frame_230_byte_payload":       ErrTooLong,
		"undersize_data_frame_2_byte_payload":        ErrBadLength,
		"rstack_wrong_ash_version_3":                 ErrVersion,
		"rst_with_payload":                           ErrBadLength,
		"unknown_control_0xC3":                       ErrBadControl,
		"too_short_two_bytes":                        ErrTooShort,
	}
	vs := loadVectors[malformedVector](t, "malformed.json")
	if len(vs) != len(want) {
		t.Errorf("%d malformed vectors, the test knows %d", len(vs), len(want))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			exp, known := want[v.Name]
			if !known {
				t.Fatalf("no expectation for %s (%s)", v.Name, v.Defect)
			}
			raws := wireFrames(unhex(t, v.Hex))
			if len(raws) != 1 {
				t.Fatalf("deframer found %d frames, want 1", len(raws))
			}
			f, err := ParseFrame(raws[0])
			if exp == nil {
				if err != nil || f.Type != TypeRST {
					t.Fatalf("got %v, %v; want RST", f, err)
				}
				return
			}
			if !errors.Is(err, exp) {
				t.Fatalf("error %v, want %v", err, exp)
			}
			if _, ok := errors.AsType[*FrameError](err); !ok {
				t.Errorf("error %T is not a *FrameError", err)
			}
		})
	}
}

type streamVector struct {
	Name     string      `json:"name"`
	Chunks   []string    `json:"chunks_hex"`
	Expected []ashVector `json:"expected_frames"`
}

func TestStreamVectors(t *testing.T) {
	for _, v := range loadVectors[streamVector](t, "ash_streams.json") {
		var all []byte
		for _, c := range v.Chunks {
			all = append(all, unhex(t, c)...)
		}
		check := func(t *testing.T, raws [][]byte) {
			t.Helper()
			var frames []Frame
			for _, r := range raws {
				f, err := ParseFrame(r)
				if err != nil {
					t.Fatalf("parse % X: %v", r, err)
				}
				frames = append(frames, f)
			}
			if len(frames) != len(v.Expected) {
				t.Fatalf("got %d frames %v, want %d", len(frames), frames, len(v.Expected))
			}
			for i, e := range v.Expected {
				e.check(t, frames[i])
			}
		}
		t.Run(v.Name+"/chunks", func(t *testing.T) {
			var d Deframer
			var raws [][]byte
			for _, c := range v.Chunks {
				d.Write(unhex(t, c))
				for {
					f, ok := d.Next()
					if !ok {
						break
					}
					raws = append(raws, bytes.Clone(f))
				}
			}
			check(t, raws)
		})
		t.Run(v.Name+"/one_byte_reads", func(t *testing.T) {
			r := iotest.OneByteReader(bytes.NewReader(all))
			var d Deframer
			var raws [][]byte
			buf := make([]byte, 16)
			for {
				n, err := r.Read(buf)
				d.Write(buf[:n])
				for {
					f, ok := d.Next()
					if !ok {
						break
					}
					raws = append(raws, bytes.Clone(f))
				}
				if err != nil {
					break
				}
			}
			check(t, raws)
		})
	}
}

func TestCRCCheckValue(t *testing.T) {
	if got := CRC([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("CRC(123456789) = %04X, want 29B1", got)
	}
}

func TestRandomSequence(t *testing.T) {
	want := unhex(t, "4221a8542a15b259944a25aa5592499c")
	got := make([]byte, len(want))
	Randomize(got)
	if !bytes.Equal(got, want) {
		t.Fatalf("sequence % X, want % X", got, want)
	}
	Randomize(got)
	if !bytes.Equal(got, make([]byte, len(want))) {
		t.Fatalf("randomizing twice did not restore the data: % X", got)
	}
}

func TestAckEncodings(t *testing.T) {
	want := []string{"8070787e", "8160597e", "82503a7e", "83401b7e", "8430fc7e", "8520dd7e", "8610be7e", "87009f7e"}
	for n, w := range want {
		got, err := AppendFrame(nil, Frame{Type: TypeACK, AckNum: uint8(n)})
		if err != nil || hex.EncodeToString(got) != w {
			t.Errorf("ACK(%d) = %x, %v; want %s", n, got, err, w)
		}
	}
}

func TestDeframerEdges(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		frames int
		left   int
	}{
		{"garbage_without_flag_is_kept_until_a_flag", []byte{1, 2, 3}, 0, 3},
		{"cancel_without_flag_drops_what_precedes_it", []byte{1, 2, Cancel, 0xC0}, 0, 1},
		{"overlong_run_is_dropped", bytes.Repeat([]byte{0x55}, MaxWire+1), 0, 0},
		{"flags_only", []byte{Flag, Flag, Flag}, 0, 0},
		{"two_frames", []byte{0xC0, 0x38, 0xBC, Flag, 0xC0, 0x38, 0xBC, Flag}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Deframer
			d.Write(tt.in)
			n := 0
			for {
				if _, ok := d.Next(); !ok {
					break
				}
				n++
			}
			if n != tt.frames || d.Buffered() != tt.left {
				t.Fatalf("%d frames, %d buffered; want %d, %d", n, d.Buffered(), tt.frames, tt.left)
			}
		})
	}
}

func TestAppendRejects(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want error
	}{
		{"short_data", Frame{Type: TypeData, Data: []byte{1, 2}}, ErrBadLength},
		{"long_data", Frame{Type: TypeData, Data: make([]byte, MaxData+1)}, ErrTooLong},
		{"bad_number", Frame{Type: TypeData, FrmNum: 8, Data: []byte{1, 2, 3}}, ErrBadControl},
		{"no_type", Frame{}, ErrBadControl},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := AppendFrame(nil, tt.f); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// An overlong run cut between two Writes is dropped up to the next Flag,
// exactly as when it arrives in one read, and the frame after it survives.
// (A fuzz-found case: the tail of the run used to come out as a frame.)
func TestDeframerOverlongAcrossWrites(t *testing.T) {
	valid := []byte{0xC0, 0x38, 0xBC, Flag}
	in := append(bytes.Repeat([]byte{0x55}, MaxWire+40), Flag)
	in = append(in, valid...)
	for _, cut := range []int{1, MaxWire / 2, MaxWire + 1, MaxWire + 20, len(in) - 1} {
		var d Deframer
		var got [][]byte
		for _, chunk := range [][]byte{in[:cut], in[cut:]} {
			d.Write(chunk)
			for {
				raw, ok := d.Next()
				if !ok {
					break
				}
				got = append(got, bytes.Clone(raw))
			}
		}
		if len(got) != 1 || !bytes.Equal(got[0], valid[:3]) {
			t.Fatalf("cut at %d: frames % X, want only % X", cut, got, valid[:3])
		}
		if d.Overlong != MaxWire+40 {
			t.Errorf("cut at %d: Overlong = %d, want %d", cut, d.Overlong, MaxWire+40)
		}
	}
	// A Cancel inside the dropped run starts a fresh frame.
	var d Deframer
	d.Write(bytes.Repeat([]byte{0x55}, MaxWire+1))
	d.Write([]byte{Cancel, 0xC0, 0x38, 0xBC, Flag})
	raw, ok := d.Next()
	if !ok || !bytes.Equal(raw, valid[:3]) {
		t.Fatalf("after Cancel: % X, %v", raw, ok)
	}
}
