// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): datagrams
// such as "READY=1" sent to the unix socket named by $NOTIFY_SOCKET, and the
// watchdog keep-alive at half of $WATCHDOG_USEC. Without $NOTIFY_SOCKET every
// call is a no-op, so the daemon behaves the same outside systemd.
package sdnotify

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends state lines to systemd. The zero value does nothing.
type Notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET and $WATCHDOG_USEC, read
// through getenv (nil = os.Getenv).
func FromEnv(getenv func(string) string) (*Notifier, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	n := &Notifier{}
	sock := getenv("NOTIFY_SOCKET")
	if sock == "" {
		return n, nil
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:] // abstract namespace
	} else if !strings.HasPrefix(sock, "/") {
		return nil, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q is neither a path nor an abstract socket", sock)
	}
	n.addr = &net.UnixAddr{Name: sock, Net: "unixgram"}
	if us := getenv("WATCHDOG_USEC"); us != "" {
		v, err := strconv.ParseUint(us, 10, 64)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("sdnotify: WATCHDOG_USEC %q is not a positive integer", us)
		}
		// Only when the watchdog is meant for us (WATCHDOG_PID unset or ours).
		if pid := getenv("WATCHDOG_PID"); pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(v) * time.Microsecond
		}
	}
	return n, nil
}

// Enabled reports whether a notify socket is configured.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// WatchdogInterval returns how often to ping the watchdog (half of
// WATCHDOG_USEC), or 0 when there is no watchdog.
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog / 2
}

// Notify sends one state string, e.g. "READY=1" or "STATUS=forming network".
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: dial %s: %w", n.addr.Name, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: send %q: %w", state, err)
	}
	return nil
}

// RunWatchdog sends WATCHDOG=1 every WatchdogInterval until ctx is done.
// healthy is asked first each time; a false answer skips that ping so a hung
// daemon is restarted by systemd.
func (n *Notifier) RunWatchdog(ctx context.Context, healthy func() bool) error {
	iv := n.WatchdogInterval()
	if iv <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if healthy == nil || healthy() {
				_ = n.Notify("WATCHDOG=1")
			}
		}
	}
}
