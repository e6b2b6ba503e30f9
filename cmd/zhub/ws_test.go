package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/ws"
)

// secretPattern matches a hub/auth token secret.
var secretPattern = regexp.MustCompile(`zhub_[A-Za-z0-9_-]{43}`)

// lineLog collects a process's stderr lines and lets a test wait for one.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	added chan struct{} // closed and replaced on every new line
}

func newLineLog(r io.Reader) *lineLog {
	l := &lineLog{added: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			close(l.added)
			l.added = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	return l
}

// wait returns the first line that ok accepts.
func (l *lineLog) wait(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for i := 0; ; {
		l.mu.Lock()
		for ; i < len(l.lines); i++ {
			if ok(l.lines[i]) {
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
			t.Fatalf("no log line with %s:\n%s", what, l.all())
		}
	}
}

func (l *lineLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// startServe runs `zhub serve` on dataDir with JSON logs.
func startServe(t *testing.T, dataDir, addr string, extraEnv ...string) (*exec.Cmd, *lineLog) {
	t.Helper()
	cmd := exec.Command(zhubBinary(t), "serve")
	cmd.Env = append(baseEnv(t, "ZHUB_DATA_DIR="+dataDir, "ZHUB_HTTP_LISTEN="+addr, "ZHUB_MQTT_ENABLED=false", "ZHUB_LOG_FORMAT=json"), extraEnv...)
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, newLineLog(pr)
}

func stopServe(t *testing.T, cmd *exec.Cmd, logs *lineLog) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, "zhub stopped", func(s string) bool { return strings.Contains(s, `"event":"stopped"`) })
	var buf bytes.Buffer
	waitExit(t, cmd, 0, &buf)
}

// TestFirstStartLoginLink runs the real daemon twice on one data
// directory. The first start prints a login link, once, in a JSON line of
// its own; no other line carries the token. The link logs a browser in
// (session cookie), the cookie opens the WebSocket, and the second start
// prints no link.
func TestFirstStartLoginLink(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	cmd, logs := startServe(t, dataDir, addr)
	line := logs.wait(t, "the login link", func(s string) bool { return strings.Contains(s, `"event":"login_url"`) })
	var rec struct{ Module, Event, URL string }
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Module != "main" || !strings.HasPrefix(rec.URL, "http://"+addr+"/?token=zhub_") {
		t.Fatalf("login line %q: %+v %v", line, rec, err)
	}
	secret := secretPattern.FindString(rec.URL)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(rec.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == ws.SessionCookie {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == nil {
		t.Fatalf("login link answered %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	wc, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Cookie": {cookie.String()}, "Origin": {"http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	var welcome ws.Response
	if err := wc.ReadJSON(&welcome); err != nil || welcome.Chunk == nil || welcome.Chunk.Metadata["client"] != "initial" {
		t.Errorf("welcome %+v %v", welcome, err)
	}
	// `zhub status` counts the connected WebSocket clients.
	lc := &localapi.Client{Socket: filepath.Join(dataDir, "zhub.sock")}
	st, err := lc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := st.Components["websocket"]; !ok || c.State != "ok" || c.Detail["clients"] != float64(1) {
		t.Errorf("status components.websocket = %+v, want state ok with 1 client", c)
	}
	wc.Close()
	if _, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil); err == nil {
		t.Errorf("a connection without a token was accepted")
	}
	stopServe(t, cmd, logs)
	for _, l := range strings.Split(logs.all(), "\n") {
		if strings.Contains(l, secret) && l != line {
			t.Errorf("the token appears in another line: %s", l)
		}
	}

	cmd, logs = startServe(t, dataDir, addr)
	logs.wait(t, "ready", func(s string) bool { return strings.Contains(s, `"event":"ready"`) })
	stopServe(t, cmd, logs)
	if secretPattern.MatchString(logs.all()) || strings.Contains(logs.all(), "login_url") {
		t.Errorf("second start printed a login link or a token:\n%s", logs.all())
	}
}

func TestLoginURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:8480", "http://127.0.0.1:8480/?token=zhub_x"},
		{"[::1]:8480", "http://[::1]:8480/?token=zhub_x"},
	} {
		if got := loginURL(tcpAddr(t, tc.addr), "zhub_x"); got != tc.want {
			t.Errorf("%s: %s", tc.addr, got)
		}
	}
	if got := loginURL(tcpAddr(t, "0.0.0.0:8480"), "zhub_x"); strings.Contains(got, "0.0.0.0") || !strings.HasSuffix(got, ":8480/?token=zhub_x") {
		t.Errorf("wildcard: %s", got)
	}
	var text bytes.Buffer
	writeLoginLink(&text, false, "http://h:1/?token=zhub_x")
	if !strings.Contains(text.String(), "\n    http://h:1/?token=zhub_x\n") {
		t.Errorf("text line %q", text.String())
	}
}

func tcpAddr(t *testing.T, s string) *net.TCPAddr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
