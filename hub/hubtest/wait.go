package hubtest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// Next returns the next event on sub of type T that ok accepts, skipping
// the others. It fails when sub closes, when Guard passes or when ctx
// ends.
func Next[T hub.Event](ctx context.Context, sub *hub.Subscription, ok func(T) bool) (T, error) {
	var zero T
	timer := time.NewTimer(Guard)
	defer timer.Stop()
	for {
		select {
		case ev, open := <-sub.C():
			if !open {
				return zero, fmt.Errorf("hubtest: subscription closed while waiting for %v", reflect.TypeFor[T]())
			}
			if e, is := ev.(T); is && ok(e) {
				return e, nil
			}
		case <-timer.C:
			return zero, fmt.Errorf("hubtest: no %v within %v", reflect.TypeFor[T](), Guard)
		case <-ctx.Done():
			return zero, fmt.Errorf("hubtest: waiting for %v: %w", reflect.TypeFor[T](), ctx.Err())
		}
	}
}

// WaitFor is Next for a test: it fails the test instead of returning an
// error.
func WaitFor[T hub.Event](t testing.TB, sub *hub.Subscription, ok func(T) bool) T {
	t.Helper()
	e, err := Next(context.Background(), sub, ok)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Pairing says which devices (*Stack).Pair pairs and how.
type Pairing struct {
	Devices []zigbee.IEEE
	// Names renames each paired device that has an entry, once joining
	// is closed.
	Names map[zigbee.IEEE]string
	// Retry asks once more for an interview that failed (a sleepy device
	// may miss a step), synchronously, instead of failing; only that
	// second failure fails. A retried device maps to a nil definition.
	Retry bool
}

// Pair presses the devices' buttons, opens joining, waits until the
// interview of each has ended, closes joining and renames them. Any
// interview that fails fails the pairing (see Pairing.Retry). It returns
// each device's definition from its successful interview.
func (s *Stack) Pair(ctx context.Context, n *sim.Network, p Pairing) (map[zigbee.IEEE]*hub.Definition, error) {
	want := make(map[zigbee.IEEE]bool, len(p.Devices))
	for _, d := range p.Devices {
		if err := n.Press(ctx, d); err != nil {
			return nil, fmt.Errorf("hubtest: press the button of %v: %w", d, err)
		}
		want[d] = true
	}
	if err := s.Hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		return nil, fmt.Errorf("hubtest: open joining: %w", err)
	}
	defs := make(map[zigbee.IEEE]*hub.Definition, len(want))
	for len(want) > 0 {
		e, err := Next(ctx, s.Sub, func(e hub.InterviewProgress) bool {
			return e.Interview.State == hub.InterviewSuccessful || e.Interview.State == hub.InterviewFailed
		})
		if err != nil {
			return nil, err
		}
		if e.Interview.State == hub.InterviewFailed {
			if !p.Retry {
				return nil, fmt.Errorf("hubtest: interview of %v failed: %s", e.IEEE, e.Interview.Error)
			}
			if err := s.Hub.Interview(ctx, e.IEEE.String()); err != nil {
				return nil, fmt.Errorf("hubtest: interview of %v failed twice: %w", e.IEEE, err)
			}
		}
		if want[e.IEEE] {
			defs[e.IEEE] = e.Definition
			delete(want, e.IEEE)
		}
	}
	if err := s.Hub.PermitJoin(ctx, 0, ""); err != nil {
		return nil, fmt.Errorf("hubtest: close joining: %w", err)
	}
	for _, d := range p.Devices {
		if name, ok := p.Names[d]; ok {
			if err := s.Hub.Rename(ctx, d.String(), name); err != nil {
				return nil, fmt.Errorf("hubtest: rename %v to %q: %w", d, name, err)
			}
		}
	}
	return defs, nil
}

// Pair pairs the devices on s (Pairing without names or retries) and
// fails the test if that fails.
func Pair(t testing.TB, s *Stack, n *sim.Network, devices ...zigbee.IEEE) map[zigbee.IEEE]*hub.Definition {
	t.Helper()
	defs, err := s.Pair(context.Background(), n, Pairing{Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	return defs
}
