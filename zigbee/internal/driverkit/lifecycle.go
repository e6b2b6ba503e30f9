package driverkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// Backoff is the wait between a driver's sessions. After a session whose
// network came up the step goes back to Initial; while starts keep failing
// it doubles up to Max. AfterUp, when not zero, caps the first wait after a
// session that was up and leaves the step where it is (an EZSP NCP that
// reset answers again at once). Initial must be positive.
type Backoff struct {
	Initial, Max, AfterUp time.Duration

	step time.Duration // the current step; zero before the first session
}

// Next is called when a session ended; wasUp says whether its network came
// up. It returns the step (what the log reports as retry_in) and how long
// to wait before the next session, and advances the step.
func (b *Backoff) Next(wasUp bool) (step, wait time.Duration) {
	if b.step == 0 || wasUp {
		b.step = b.Initial
	}
	step = b.step
	if wasUp && b.AfterUp > 0 {
		return step, min(step, b.AfterUp)
	}
	b.step = min(2*b.step, b.Max)
	return step, step
}

// Lifecycle is a driver's Run: it runs one session after another, from
// opening the link to losing it, until the context ends. A session that
// fails (the port does not open, the start-up fails, the link drops) is
// logged and reported as one zigbee.NetworkDown until a session brings
// the network up again, and the next one starts after the Backoff wait.
//
// Fill the fields before the first Run and do not change them after.
type Lifecycle struct {
	// Name is the driver, as error prefix ("znp").
	Name    string
	Log     *slog.Logger
	Events  *Events
	Backoff Backoff
	// Running is told true before the first session and false after the
	// last, before Events closes, so the driver's API can tell
	// zigbee.ErrNotRunning from zigbee.ErrNetworkDown.
	Running func(bool)
	// Session opens the link and runs one session until it ends. wasUp
	// reports whether the network came up; err says why the session
	// ended (it is ignored once the context has ended).
	Session func(ctx context.Context) (wasUp bool, err error)

	ran atomic.Bool
}

// Run runs sessions until ctx ends, then closes Events and returns nil.
// It never gives up on a missing port or a failed start, and fails only
// when called a second time.
func (l *Lifecycle) Run(ctx context.Context) error {
	if !l.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: Run called twice", l.Name)
	}
	defer l.Events.Close()
	l.Running(true)
	defer l.Running(false)

	reportedDown := false
	for {
		start := time.Now()
		wasUp, err := l.Session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if wasUp {
			reportedDown = false
		}
		step, wait := l.Backoff.Next(wasUp)
		var pe *zigbee.PortError
		switch {
		case errors.As(err, &pe):
			l.Log.Error("cannot open the coordinator port", "event", "port_open_failed", "err", err, "retry_in", step.String())
		case wasUp:
			l.Log.Error("coordinator link lost", "event", "network_down", "err", err, "retry_in", step.String())
		default:
			l.Log.Error("coordinator start failed", "event", "start_failed", "err", err,
				"elapsed_ms", time.Since(start).Milliseconds(), "retry_in", step.String())
		}
		if !reportedDown {
			l.Events.Emit(ctx, zigbee.NetworkDown{Err: err})
			reportedDown = true
		}
		if Sleep(ctx, wait) != nil {
			return nil
		}
	}
}

// Up logs that the network of info is up (network_up, with the time since
// start and attrs, the driver's own firmware fields) and emits
// zigbee.NetworkUp. The driver publishes the session first.
func (l *Lifecycle) Up(ctx context.Context, info zigbee.NetworkInfo, start time.Time, attrs ...any) {
	args := []any{"event", "network_up", "channel", int(info.Channel), "pan_id", info.PANID.String(),
		"ext_pan_id", info.ExtPANID.String(), "ieee", info.IEEE.String(), "formed", info.Formed,
		"firmware", info.Firmware.Product}
	args = append(append(args, attrs...), "elapsed_ms", time.Since(start).Milliseconds())
	l.Log.Info("network up", args...)
	l.Events.Emit(ctx, zigbee.NetworkUp{Info: info})
}

// Sleep waits for d, or returns ctx.Err() as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
