package driverkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// ErrRestoring is the zigbee.NetworkDown reason while a backup is restored.
var ErrRestoring = errors.New("restoring a coordinator backup")

// Session is a driver's session whose network is up, as Serve runs it. F
// is the element type of the driver's Fail channel.
type Session[F any] struct {
	// Link is closed when the link to the coordinator ends; LinkErr then
	// says why.
	Link    <-chan struct{}
	LinkErr func() error
	// Fail delivers an end of the session the coordinator caused (an
	// unexpected reset, a dropped network); FailErr turns it into the
	// error Serve returns. A nil Fail never fires.
	Fail    <-chan F
	FailErr func(F) error

	// Restores carries the driver's Restore calls to the session.
	// Withdraw takes the network down (the driver stops serving API
	// calls), Restore writes the backup and reads the network back, and Up
	// publishes it again and emits NetworkUp.
	Restores *Restores
	Withdraw func()
	Restore  func(ctx context.Context, b *zigbee.Backup) error
	Up       func(ctx context.Context, start time.Time)

	// Joining keeps the permit-join window across sessions; Join sends one
	// window of at most MaxPermitJoin to the coordinator, and Wake says
	// when the window next needs renewing (PermitJoinWake).
	Joining *Joining
	Join    func(ctx context.Context, dur time.Duration, via zigbee.NWK) error
	Wake    func() (time.Time, bool)

	Events *Events
}

// Serve runs while the network is up. It first re-opens a permit-join
// window that is still open (a coordinator that restarted forgot it),
// then carries out restores and window renewals until ctx ends (it returns
// ctx.Err()), the link ends, Fail fires or a restore fails (it returns
// why). A restore emits NetworkDown{ErrRestoring}, answers the Restore
// call with its outcome and, when it succeeded, calls Up.
func (s Session[F]) Serve(ctx context.Context) error {
	pj := time.NewTimer(time.Hour)
	pj.Stop()
	defer pj.Stop()
	s.Joining.Renew(ctx, s.Join)
	if next, ok := s.Wake(); ok {
		pj.Reset(max(time.Until(next), 0))
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Link:
			return s.LinkErr()
		case f := <-s.Fail:
			return s.FailErr(f)
		case req := <-s.Restores.ch:
			s.Withdraw()
			s.Events.Emit(ctx, zigbee.NetworkDown{Err: ErrRestoring})
			start := time.Now()
			err := s.Restore(ctx, req.backup)
			req.done <- err
			if err != nil {
				return err
			}
			s.Up(ctx, start)
		case <-s.Joining.kicks():
		case <-pj.C:
			s.Joining.Renew(ctx, s.Join)
		}
		if next, ok := s.Wake(); ok {
			pj.Reset(max(time.Until(next), 0))
		} else {
			pj.Stop()
		}
	}
}

// Restores hands the driver's Restore calls to the session that serves
// the network, one at a time.
type Restores struct {
	name string
	ch   chan restoreRequest
}

type restoreRequest struct {
	backup *zigbee.Backup
	done   chan error // buffered: Serve never waits for the caller
}

// NewRestores returns the hand-over of the driver name (the error prefix).
func NewRestores(name string) *Restores {
	return &Restores{name: name, ch: make(chan restoreRequest)}
}

// Submit is the driver's Restore: it checks b (zigbee.Backup.Validate, and
// no published default network key), then ready (the driver's own check
// that its network is up), hands b to the serving session and waits for
// the outcome, or for ctx.
func (r *Restores) Submit(ctx context.Context, b *zigbee.Backup, ready func() error) error {
	if b == nil {
		return fmt.Errorf("%s: restore: %w: no backup", r.name, zigbee.ErrBadBackup)
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if b.Key().IsWellKnown() {
		return fmt.Errorf("%s: restore: %w: the backup's network key is a published default key", r.name, zigbee.ErrBadBackup)
	}
	if err := ready(); err != nil {
		return err
	}
	req := restoreRequest{backup: b, done: make(chan error, 1)}
	select {
	case r.ch <- req:
	case <-ctx.Done():
		return fmt.Errorf("%s: restore: %w", r.name, ctx.Err())
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%s: restore: %w", r.name, ctx.Err())
	}
}
