package driverkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

func TestBackoff(t *testing.T) {
	type step struct {
		wasUp      bool
		step, wait time.Duration
	}
	tests := []struct {
		name  string
		b     Backoff
		steps []step
	}{
		{"doubling up to the cap", Backoff{Initial: time.Second, Max: 5 * time.Second}, []step{
			{false, time.Second, time.Second},
			{false, 2 * time.Second, 2 * time.Second},
			{false, 4 * time.Second, 4 * time.Second},
			{false, 5 * time.Second, 5 * time.Second},
			{false, 5 * time.Second, 5 * time.Second},
		}},
		{"a session that was up starts over", Backoff{Initial: time.Second, Max: 30 * time.Second}, []step{
			{false, time.Second, time.Second},
			{false, 2 * time.Second, 2 * time.Second},
			{true, time.Second, time.Second},
			{false, 2 * time.Second, 2 * time.Second},
		}},
		{"AfterUp caps the wait and keeps the step", Backoff{Initial: time.Second, Max: 30 * time.Second, AfterUp: 100 * time.Millisecond}, []step{
			{false, time.Second, time.Second},
			{false, 2 * time.Second, 2 * time.Second},
			{true, time.Second, 100 * time.Millisecond},
			{true, time.Second, 100 * time.Millisecond},
			{false, time.Second, time.Second},
			{false, 2 * time.Second, 2 * time.Second},
		}},
		{"AfterUp above the step", Backoff{Initial: 50 * time.Millisecond, Max: time.Second, AfterUp: 100 * time.Millisecond}, []step{
			{true, 50 * time.Millisecond, 50 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			for i, s := range tt.steps {
				step, wait := b.Next(s.wasUp)
				if step != s.step || wait != s.wait {
					t.Errorf("session %d (up %v): step %v wait %v, want %v and %v", i, s.wasUp, step, wait, s.step, s.wait)
				}
			}
		})
	}
}

// outcome is what a scripted session returns.
type outcome struct {
	wasUp bool
	err   error
}

// TestLifecycleRun runs a script of sessions in virtual time: each failure
// is logged with its kind, NetworkDown is emitted once per outage, the
// waits follow the backoff, and cancelling ends Run with nil after
// Running(false) and with Events closed.
func TestLifecycleRun(t *testing.T) {
	portErr := &zigbee.PortError{Path: "/dev/ttyUSB0", Err: zigbee.ErrPortNotFound}
	script := []outcome{
		{false, fmt.Errorf("open: %w", portErr)},
		{false, errors.New("no answer")},
		{true, errors.New("link lost")},
		{false, errors.New("no answer")},
	}
	synctest.Test(t, func(t *testing.T) {
		log, rec := newLog()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var running []bool
		var starts []time.Time
		l := &Lifecycle{Name: "test", Log: log, Events: NewEvents(16),
			Backoff: Backoff{Initial: time.Second, Max: 30 * time.Second},
			Running: func(r bool) { running = append(running, r) },
			Session: func(ctx context.Context) (bool, error) {
				starts = append(starts, time.Now())
				if len(starts) > len(script) {
					cancel()
					<-ctx.Done()
					return false, ctx.Err()
				}
				o := script[len(starts)-1]
				return o.wasUp, o.err
			}}
		if err := l.Run(ctx); err != nil {
			t.Fatalf("Run = %v, want nil on cancellation", err)
		}
		if !slices.Equal(running, []bool{true, false}) {
			t.Errorf("Running calls %v, want true then false", running)
		}
		var gaps []time.Duration
		for i := 1; i < len(starts); i++ {
			gaps = append(gaps, starts[i].Sub(starts[i-1]))
		}
		if want := []time.Duration{time.Second, 2 * time.Second, time.Second, 2 * time.Second}; !slices.Equal(gaps, want) {
			t.Errorf("waits between sessions %v, want %v", gaps, want)
		}
		var downs int
		for ev := range l.Events.C() { // closed by Run
			if _, ok := ev.(zigbee.NetworkDown); ok {
				downs++
			}
		}
		if downs != 2 {
			t.Errorf("%d NetworkDown events, want 2 (one per outage)", downs)
		}
		for _, c := range []struct {
			event string
			n     int
		}{{"port_open_failed", 1}, {"start_failed", 2}, {"network_down", 1}} {
			if got := len(rec.events(t, c.event)); got != c.n {
				t.Errorf("%d %s records, want %d", got, c.event, c.n)
			}
		}
		if err := l.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "test: Run called twice") {
			t.Errorf("second Run = %v, want an error", err)
		}
	})
}

func TestLifecycleUp(t *testing.T) {
	log, rec := newLog()
	l := &Lifecycle{Log: log, Events: NewEvents(1)}
	info := zigbee.NetworkInfo{Channel: 15, PANID: 0x1A62, Firmware: zigbee.Firmware{Product: "Z-Stack 3.x.0"}}
	l.Up(t.Context(), info, time.Now(), "revision", "20230507")
	if ev := <-l.Events.C(); ev != (zigbee.NetworkUp{Info: info}) {
		t.Errorf("event %#v, want NetworkUp", ev)
	}
	recs := rec.events(t, "network_up")
	if len(recs) != 1 || recs[0]["channel"] != 15.0 || recs[0]["revision"] != "20230507" || recs[0]["firmware"] != "Z-Stack 3.x.0" {
		t.Fatalf("network_up records %v", recs)
	}
	raw := rec.raw()
	if strings.Index(raw, `"revision"`) > strings.Index(raw, `"elapsed_ms"`) {
		t.Errorf("the driver's attributes come after elapsed_ms: %s", raw)
	}
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(t.Context(), time.Minute); err != nil || time.Since(start) != time.Minute {
			t.Errorf("Sleep = %v after %v, want nil after 1m", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := Sleep(ctx, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep past the deadline = %v", err)
		}
	})
}
