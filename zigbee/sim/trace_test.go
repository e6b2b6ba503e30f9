package sim

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee/znp"
)

const tracesDir = "../../../shared/protocol/vectors/znp/traces"

type traceStep struct {
	req  []byte      // a host frame
	want []znp.Frame // the dongle frames that followed it in the real trace
}

// loadTrace returns the request/answer groups of a real trace. Dongle lines
// not preceded by a host line in the same segment (a "# ---" gap starts a
// new segment) are context, not answers, and are skipped.
func loadTrace(t *testing.T, name string) []traceStep {
	t.Helper()
	f, err := os.Open(filepath.Join(tracesDir, name))
	if err != nil {
		t.Skipf("shared traces not available: %v", err)
	}
	defer f.Close()
	var steps []traceStep
	inSegment := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "# ---"):
			inSegment = false
		case strings.HasPrefix(line, "> "):
			steps = append(steps, traceStep{req: mustFrame(t, line[2:])})
			inSegment = true
		case strings.HasPrefix(line, "< ") && inSegment:
			fr, err := znp.ParseFrame(mustFrame(t, line[2:]))
			if err != nil {
				t.Fatalf("%s: %q: %v", name, line, err)
			}
			s := &steps[len(steps)-1]
			s.want = append(s.want, fr)
		}
	}
	return steps
}

// formedNet returns a network whose NV holds a formed network and that was
// reset since (device state 0), as a dongle that was just plugged in.
func formedNet(t *testing.T, cfg Config) *Network {
	t.Helper()
	n := startNet(t, cfg)
	h := openHost(t, n)
	herdsmanStart(t, h, testNet)
	h.send(znp.SYS, 0x00, []byte{1})
	h.waitFor(hdr(znp.AREQ, znp.SYS, 0x80))
	h.rw.Close()
	return n
}

// TestRealTraces replays the host side of each real hardware trace and
// checks that the sim answers with the same commands, in order, and with
// the same status where the firmware answered a single status byte.
func TestRealTraces(t *testing.T) {
	for _, tc := range []struct {
		name       string
		file       string
		formed     bool
		sameStatus bool
	}{
		{"zstack3 resume (z-h-c 8776)", "zstack3x0_cc26xx_startup_resume_zhc8776.txt", true, true},
		{"zstack3 formation (z2m 12633)", "zstack3x0_cc2652p_formation_z2m12633.txt", true, true},
		// A Z-Stack 1.2 stick: same commands, but the 3.x.0 sim answers with
		// 3.x.0 statuses (e.g. STARTUP_FROM_APP 0 instead of 1).
		{"zstack12 commissioning (z2m 17450)", "zstack12_cc2531_commissioning_z2m17450.txt", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := loadTrace(t, tc.file)
			cfg := testConfig(t)
			var n *Network
			if tc.formed {
				n = formedNet(t, cfg)
			} else {
				n = startNet(t, cfg)
			}
			h := openHost(t, n)
			for i, s := range steps {
				h.write(s.req)
				for _, w := range s.want {
					got := h.waitMatch(func(f znp.Frame) bool { return f.Header == w.Header })
					if tc.sameStatus && w.Type == znp.SRSP && len(w.Payload) == 1 && got.Payload[0] != w.Payload[0] {
						t.Errorf("step %d (% X): %v status %02X, trace has %02X", i, s.req, w.Header, got.Payload[0], w.Payload[0])
					}
				}
			}
		})
	}
}

func TestTraceLines(t *testing.T) {
	cfg := testConfig(t)
	var tr syncBuffer
	cfg.Trace = &tr
	n := startNet(t, cfg)
	h := openHost(t, n)
	h.write(mustFrame(t, "EF"))
	h.write(mustFrame(t, "FE00210120"))
	h.next()
	h.write(mustFrame(t, "FE00210121")) // bad FCS
	h.write(mustFrame(t, "FE00210223"))
	h.next()
	if err := n.call(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(tr.String()), "\n")
	want := []string{"# garbage EF", "> FE00210120", "< FE02610159063D", "# bad-fcs FE00210121", "# garbage 00210121", "> FE00210223", "< FE0A6102020102070146D9340100C4"}
	if len(lines) != len(want) {
		t.Fatalf("trace:\n%s\nwant %d lines", tr.String(), len(want))
	}
	for i, l := range lines {
		ts, rest, ok := strings.Cut(l, " ")
		if !ok || len(ts) < 16 || rest != want[i] {
			t.Errorf("line %d = %q, want <micros> %s", i, l, want[i])
		}
	}
}
