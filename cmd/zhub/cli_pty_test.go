package main

import (
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/zhubhq/zhub/hub/localapi"
)

// screen collects what a program writes to its terminal.
type screen struct {
	mu    sync.Mutex
	buf   strings.Builder
	added chan struct{} // closed and replaced on every write
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf.Write(p)
	close(s.added)
	s.added = make(chan struct{})
	s.mu.Unlock()
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// wait returns the first match of re in the output after offset from,
// and the offset just past it.
func (s *screen) wait(t *testing.T, re *regexp.Regexp, from int) ([]string, int) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		out, added := s.buf.String(), s.added
		s.mu.Unlock()
		if loc := re.FindStringSubmatchIndex(out[from:]); loc != nil {
			var groups []string
			for i := 0; i < len(loc); i += 2 {
				groups = append(groups, out[from+loc[i]:from+loc[i+1]])
			}
			return groups, from + loc[1]
		}
		select {
		case <-added:
		case <-timeout:
			t.Fatalf("the terminal never showed %q:\n%q", re, out)
		}
	}
}

// waitLogAfter returns the first daemon log line from index start on that
// contains every part.
func waitLogAfter(t *testing.T, l *lineLog, start int, parts ...string) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for i := start; ; {
		l.mu.Lock()
		for ; i < len(l.lines); i++ {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(l.lines[i], p)
			}
			if ok {
				s := l.lines[i]
				l.mu.Unlock()
				return s
			}
		}
		added := l.added
		l.mu.Unlock()
		select {
		case <-added:
		case <-timeout:
			t.Fatalf("no daemon log line with %q after line %d:\n%s", parts, start, l.all())
		}
	}
}

// TestPairTerminal runs `zhub pair` on a terminal (a pty): the live view
// renders (countdown, join, interview steps, result), and Ctrl-C closes
// joining on the coordinator before zhub pair exits.
func TestPairTerminal(t *testing.T) {
	d := startCLIDaemon(t)
	cmd := exec.Command(d.bin, "pair", "--duration", "120")
	cmd.Env = baseEnv(t, "ZHUB_SOCKET="+d.socket, "TERM=xterm")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	scr := &screen{added: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			scr.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	_, at := scr.wait(t, regexp.MustCompile(`Joining is open for \d+s through every router`), 0)
	// The spare light's button was pressed: it joins and is interviewed
	// while the status line keeps counting down.
	for _, step := range []string{"node_descriptor", "active_endpoints", "simple_descriptor", "basic_attributes", "bind", "configure_reporting"} {
		_, at = scr.wait(t, regexp.MustCompile(`✓ `+step), at)
	}
	_, at = scr.wait(t, regexp.MustCompile(`✓ paired `+spareIEEE+`: ZBMINIL2 by SONOFF`), at)
	_, at = scr.wait(t, regexp.MustCompile(`give it a name, e\.g\.: zhub device rename `+spareIEEE), at)
	first, at := scr.wait(t, regexp.MustCompile(`\r\x1b\[K⏳ (\d+:\d\d) left`), at)
	next := first
	for next[1] == first[1] { // the countdown moves: the line is redrawn in place
		next, at = scr.wait(t, regexp.MustCompile(`\r\x1b\[K⏳ (\d+:\d\d) left`), at)
	}
	if st := decodeStrict[localapi.Status](t, "status", d.ok("status", "--json")); !st.PermitJoin.Open {
		t.Fatalf("joining not open while pairing: %+v", st.PermitJoin)
	}

	d.logs.mu.Lock()
	before := len(d.logs.lines)
	d.logs.mu.Unlock()
	if _, err := ptmx.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	_, at = scr.wait(t, regexp.MustCompile(`Stopping: closing joining`), at)
	scr.wait(t, regexp.MustCompile(`Joining closed\. 1 device\(s\) paired\.`), at)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("zhub pair exited with %v:\n%q", err, scr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("zhub pair did not exit after Ctrl-C:\n%q", scr.String())
	}
	<-copied

	// The coordinator side: the driver sent the permit-join request with
	// duration 0 (the dongle accepted it), and the hub reports joining
	// closed.
	waitLogAfter(t, d.logs, before, `"module":"znp"`, `"event":"permit_join"`, `"duration_s":0`)
	if st := decodeStrict[localapi.Status](t, "status", d.ok("status", "--json")); st.PermitJoin.Open {
		t.Errorf("joining still open after Ctrl-C: %+v", st.PermitJoin)
	}
}
