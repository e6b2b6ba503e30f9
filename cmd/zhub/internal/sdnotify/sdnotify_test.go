package sdnotify

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func listen(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 256)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

func TestNotify(t *testing.T) {
	c, path := listen(t)
	n, err := FromEnv(func(k string) string {
		return map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Enabled() || n.WatchdogInterval() != 10*time.Millisecond {
		t.Fatalf("enabled=%v interval=%v", n.Enabled(), n.WatchdogInterval())
	}
	if err := n.Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("got %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.RunWatchdog(ctx, func() bool { return true }) }()
	if got := recv(t, c); got != "WATCHDOG=1" {
		t.Errorf("got %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		enabled bool
		wantErr bool
	}{
		{"unset", nil, false, false},
		{"relative path", map[string]string{"NOTIFY_SOCKET": "x.sock"}, false, true},
		{"abstract", map[string]string{"NOTIFY_SOCKET": "@zhub"}, true, false},
		{"bad watchdog", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "soon"}, false, true},
		{"watchdog for another pid", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "100", "WATCHDOG_PID": "1"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := FromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && n.Enabled() != tc.enabled {
				t.Errorf("enabled = %v", n.Enabled())
			}
			if tc.name == "watchdog for another pid" && n.WatchdogInterval() != 0 {
				t.Error("watchdog meant for another pid was taken")
			}
		})
	}
	var zero *Notifier
	if err := zero.Notify("READY=1"); err != nil {
		t.Error(err)
	}
}
