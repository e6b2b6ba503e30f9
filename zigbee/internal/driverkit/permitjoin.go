package driverkit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// MaxPermitJoin is the longest window one permit-join request opens;
// longer windows are renewed (255 s would mean "forever" on old stacks,
// znp.md §11.1).
const MaxPermitJoin = 254 * time.Second

// PermitJoinWake returns when, seen at now, a window open until until
// next needs the serve loop: 10 s before a MaxPermitJoin period would run
// out (to renew it), or at its end (to close it). It returns false for a
// closed window (zero until).
func PermitJoinWake(until, now time.Time) (time.Time, bool) {
	if until.IsZero() {
		return time.Time{}, false
	}
	renew := now.Add(MaxPermitJoin - 10*time.Second)
	if until.Before(renew) {
		return until, true
	}
	return renew, true
}

// Window is where a driver keeps its permit-join window, under its own
// lock: joining is open until until (zero: closed), through via.
type Window interface {
	PermitJoinWindow() (until time.Time, via zigbee.NWK)
	SetPermitJoinWindow(until time.Time, via zigbee.NWK)
}

// Joining runs a driver's permit-join window, which outlives sessions:
// Open starts or ends it (the driver's PermitJoin), and Session.Serve
// renews it and closes it when it ends. Fill the fields before first use.
type Joining struct {
	Window Window
	Events *Events
	Log    *slog.Logger
	// CloseAtEnd sends a zero-length window when a window ends. An EZSP
	// NCP needs it to take back its trust-center join policy; a ZNP
	// coordinator closes by itself when the last period runs out.
	CloseAtEnd bool

	once sync.Once
	kick chan struct{} // wakes Serve after Open changed the window
}

func (j *Joining) kicks() chan struct{} {
	j.once.Do(func() { j.kick = make(chan struct{}, 1) })
	return j.kick
}

// Open is the driver's PermitJoin: it sends a window of dur (at most
// MaxPermitJoin; 0 or less closes joining) through send, to all routers
// and the coordinator when via is 0 or zigbee.NWKBroadcastRouter, else to
// the one router via. Then it records the window, wakes Serve to renew it,
// logs permit_join and emits zigbee.PermitJoinChanged. A send error is
// returned as it is and changes nothing.
func (j *Joining) Open(ctx context.Context, dur time.Duration, via zigbee.NWK,
	send func(ctx context.Context, dur time.Duration, via zigbee.NWK) error) error {
	if via == 0 {
		via = zigbee.NWKBroadcastRouter
	}
	dur = max(dur, 0)
	if err := send(ctx, min(dur, MaxPermitJoin), via); err != nil {
		return err
	}
	var until time.Time
	if dur > 0 {
		until = time.Now().Add(dur)
	}
	j.Window.SetPermitJoinWindow(until, via)
	select {
	case j.kicks() <- struct{}{}:
	default:
	}
	j.Log.Info("permit join", "event", "permit_join", "duration_s", int(dur.Seconds()), "via", via.String())
	j.Events.Emit(ctx, zigbee.PermitJoinChanged{Open: dur > 0, Duration: dur})
	return nil
}

// Renew re-sends an open window through send for what is left of it (at
// most MaxPermitJoin). When a second or less is left it closes the window
// instead: it clears it, sends a zero-length window when CloseAtEnd, logs
// permit_join_closed and emits zigbee.PermitJoinChanged{Open: false}. Send
// failures are logged (the next renewal tries again), not returned.
func (j *Joining) Renew(ctx context.Context, send func(ctx context.Context, dur time.Duration, via zigbee.NWK) error) {
	until, via := j.Window.PermitJoinWindow()
	if until.IsZero() {
		return
	}
	left := time.Until(until)
	if left <= time.Second {
		j.Window.SetPermitJoinWindow(time.Time{}, via)
		if j.CloseAtEnd {
			if err := send(ctx, 0, via); err != nil {
				j.Log.Warn("closing permit join failed", "event", "permit_join_close_failed", "err", err)
			}
		}
		j.Log.Info("permit join closed", "event", "permit_join_closed")
		j.Events.Emit(ctx, zigbee.PermitJoinChanged{Open: false})
		return
	}
	if err := send(ctx, min(left, MaxPermitJoin), via); err != nil {
		j.Log.Warn("renewing permit join failed", "event", "permit_join_renew_failed", "err", err)
	}
}
