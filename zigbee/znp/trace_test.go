package znp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDecodeSharedTraces decodes every real trace of the shared vectors and
// compares the output with testdata/traces/<name>.golden.
func TestDecodeSharedTraces(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorDir, "traces", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces in %s/traces (err %v)", vectorDir, err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := DecodeTrace(bytes.NewReader(in), &out); err != nil {
				t.Fatalf("DecodeTrace: %v", err)
			}
			// One output line per frame line, comments copied.
			frames, decoded := 0, 0
			for _, l := range strings.Split(string(in), "\n") {
				if strings.HasPrefix(l, ">") || strings.HasPrefix(l, "<") {
					frames++
				}
			}
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(l, ">") || strings.HasPrefix(l, "<") {
					decoded++
					if strings.Contains(l, "RAW") {
						t.Errorf("raw bytes in a shared trace: %s", l)
					}
				}
			}
			if frames == 0 || decoded != frames {
				t.Errorf("%d frame lines in, %d decoded lines out", frames, decoded)
			}
			golden(t, filepath.Join("testdata", "traces", strings.TrimSuffix(name, ".txt")+".golden"), out.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestDecodeTraceCases runs testdata/trace/*.txt: each file is the input, a
// line of ten dashes, then the expected output (Caddy's golden-case form).
func TestDecodeTraceCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "trace", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in testdata/trace (err %v)", err)
	}
	const sep = "\n----------\n"
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in, want, ok := strings.Cut(string(data), sep)
			if !ok {
				t.Fatalf("no %q separator", strings.TrimSpace(sep))
			}
			var out bytes.Buffer
			if err := DecodeTrace(strings.NewReader(in), &out); err != nil {
				t.Fatalf("DecodeTrace: %v", err)
			}
			if out.String() != want {
				if *update {
					if err := os.WriteFile(file, []byte(in+sep+out.String()), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
			}
		})
	}
}

func TestDecodeTraceErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line string // expected "trace line N"
		want error  // nil: no sentinel to check
	}{
		{"bad hex", "# x\n> FE0021012\n", "line 2", nil},
		{"not hex", "> FE00ZZ0120\n", "line 1", nil},
		{"bad FCS", "> FE00210120\n< FE02610179011B\n", "line 2", ErrBadFCS},
		{"truncated frame", "< FE0E6700006252142E\n", "line 1", ErrIncomplete},
		{"LEN above 250", "< FEFB210100\n", "line 1", ErrFrameTooLong},
		{"unknown command", "\n\n> FE0021EE CF\n", "line 3", ErrUnknownCommand},
		{"short payload", "< FE0161010061\n", "line 1", ErrShortPayload},
		{"short address", "< FE01610400 64\n", "line 1", ErrShortPayload},
		{"extra payload", "> FE0121010021\n", "line 1", ErrTrailingPayload},
		{"no direction", "FE00210120\n", "line 1", nil},
		{"bad timestamp", "12x > FE00210120\n", "line 1", nil},
		{"nothing after direction", ">\n", "line 1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DecodeTrace(strings.NewReader(tt.in), &bytes.Buffer{})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "trace "+tt.line+":") {
				t.Errorf("error %q does not name %s", err, tt.line)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
		})
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatFrame(t *testing.T) {
	tests := []struct {
		name, hex, want string
	}{
		{"ping", "FE00210120", "SREQ SYS SYS_PING {}"},
		{"ping rsp", "FE02610159063D", "SRSP SYS SYS_PING {capabilities: 0x0659}"},
		{"data confirm no ack", "FE034480E901AB84",
			"AREQ AF AF_DATA_CONFIRM {status: MAC_NO_ACK (0xE9), endpoint: 1, transId: 171}"},
		{"confirm channel access", "FE034480E1F25480",
			"AREQ AF AF_DATA_CONFIRM {status: MAC_CHANNEL_ACCESS_FAILURE (0xE1), endpoint: 242, transId: 84}"},
		{"rpc error", "FE03600002213373", "SRSP RPC_ERROR RPC_CMD_NOT_RECOGNIZED {errorCode: 2, reqCmd0: 0x21, reqCmd1: 0x33}"},
		{"group request", "FE172402010100000000000000FF000001060016001E0300010802C9",
			"SREQ AF AF_DATA_REQUEST_EXT {dstAddrMode: 1, dstAddr: 0x0001, dstEndpoint: 255, dstPanId: 0x0000, " +
				"srcEndpoint: 1, clusterId: 0x0006, transId: 22, options: 0x00, radius: 30, dataLen: 3, data: 010802}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFrame(mustHex(t, tt.hex))
			if err != nil {
				t.Fatal(err)
			}
			got, err := FormatFrame(f)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
