package driverkit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// fakeSession records what Serve asks of a session. It stands for a
// driver's session, the seam driverkit plugs into.
type fakeSession struct {
	mu       sync.Mutex
	calls    []string
	restored []*zigbee.Backup
	joins    []time.Duration
	restore  error // what Restore returns

	link chan struct{}
	fail chan string
	win  *window
}

func newFakeSession() *fakeSession {
	return &fakeSession{link: make(chan struct{}), fail: make(chan string, 1), win: &window{}}
}

func (f *fakeSession) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

func (f *fakeSession) join(_ context.Context, dur time.Duration, _ zigbee.NWK) error {
	f.mu.Lock()
	f.joins = append(f.joins, dur)
	f.mu.Unlock()
	return nil
}

// serving returns the Session of f on events ev.
func (f *fakeSession) serving(ev *Events, r *Restores, log *Joining) Session[string] {
	return Session[string]{
		Link:     f.link,
		LinkErr:  func() error { return errors.New("link ended") },
		Fail:     f.fail,
		FailErr:  func(why string) error { return errors.New("failed: " + why) },
		Restores: r,
		Withdraw: func() { f.record("withdraw") },
		Restore: func(_ context.Context, b *zigbee.Backup) error {
			f.record("restore")
			f.mu.Lock()
			f.restored = append(f.restored, b)
			f.mu.Unlock()
			return f.restore
		},
		Up:      func(context.Context, time.Time) { f.record("up") },
		Joining: log,
		Join:    f.join,
		Wake: func() (time.Time, bool) {
			until, _ := f.win.PermitJoinWindow()
			return PermitJoinWake(until, time.Now())
		},
		Events: ev,
	}
}

// window is a Window in memory.
type window struct {
	mu    sync.Mutex
	until time.Time
	via   zigbee.NWK
}

func (w *window) PermitJoinWindow() (time.Time, zigbee.NWK) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.until, w.via
}

func (w *window) SetPermitJoinWindow(until time.Time, via zigbee.NWK) {
	w.mu.Lock()
	w.until, w.via = until, via
	w.mu.Unlock()
}

func testBackup() *zigbee.Backup {
	info := zigbee.NetworkInfo{Channel: 15, PANID: 0x1A62, ExtPANID: 0xDDDD00000000ABCD, IEEE: 0x00124B0000000001}
	return zigbee.NewBackup(info, zigbee.NetworkKey{1, 2, 3}, "test", time.Unix(0, 0))
}

// TestServeEnds checks each way a served session ends.
func TestServeEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(f *fakeSession, cancel context.CancelFunc)
		want string
	}{
		{"link", func(f *fakeSession, _ context.CancelFunc) { close(f.link) }, "link ended"},
		{"fail", func(f *fakeSession, _ context.CancelFunc) { f.fail <- "reset" }, "failed: reset"},
		{"context", func(_ *fakeSession, cancel context.CancelFunc) { cancel() }, context.Canceled.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, _ := newLog()
				f := newFakeSession()
				ev := NewEvents(8)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				got := make(chan error, 1)
				go func() {
					got <- f.serving(ev, NewRestores("test"), &Joining{Window: f.win, Events: ev, Log: log}).Serve(ctx)
				}()
				synctest.Wait()
				tt.end(f, cancel)
				if err := <-got; err == nil || err.Error() != tt.want {
					t.Errorf("Serve = %v, want %q", err, tt.want)
				}
			})
		})
	}
}

// TestServeRestore hands a backup to a serving session: the network is
// withdrawn, NetworkDown{ErrRestoring} emitted, the backup restored and
// the network published again; a failed restore ends Serve with the error
// the Restore call also gets.
func TestServeRestore(t *testing.T) {
	tests := []struct {
		name      string
		restore   error
		wantCalls string
	}{
		{"success", nil, "withdraw restore up"},
		{"failure", errors.New("NV write failed"), "withdraw restore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, _ := newLog()
				f := newFakeSession()
				f.restore = tt.restore
				ev := NewEvents(8)
				r := NewRestores("test")
				served := make(chan error, 1)
				go func() { served <- f.serving(ev, r, &Joining{Window: f.win, Events: ev, Log: log}).Serve(t.Context()) }()
				b := testBackup()
				err := r.Submit(t.Context(), b, func() error { return nil })
				if !errors.Is(err, tt.restore) {
					t.Errorf("Submit = %v, want %v", err, tt.restore)
				}
				synctest.Wait()
				if got := strings.Join(f.calls, " "); got != tt.wantCalls {
					t.Errorf("calls %q, want %q", got, tt.wantCalls)
				}
				if len(f.restored) != 1 || f.restored[0] != b {
					t.Errorf("restored %v, want the submitted backup", f.restored)
				}
				if e := <-ev.C(); e != (zigbee.NetworkDown{Err: ErrRestoring}) {
					t.Errorf("event %#v, want NetworkDown{ErrRestoring}", e)
				}
				if tt.restore != nil {
					if err := <-served; !errors.Is(err, tt.restore) {
						t.Errorf("Serve = %v, want the restore error", err)
					}
				} else {
					close(f.link)
					<-served
				}
			})
		})
	}
}

func TestRestoresSubmitRefuses(t *testing.T) {
	weak := testBackup()
	weak.NetworkKey.Key = zigbee.HexKey(zigbee.WellKnownNetworkKeys[0])
	invalid := testBackup()
	invalid.Channel = 30
	notUp := errors.New("network down")
	tests := []struct {
		name   string
		b      *zigbee.Backup
		ready  error
		want   error
		prefix string
	}{
		{"no backup", nil, nil, zigbee.ErrBadBackup, "test: restore: "},
		{"invalid", invalid, nil, zigbee.ErrBadBackup, "zigbee: "},
		{"published key", weak, nil, zigbee.ErrBadBackup, "test: restore: "},
		{"not ready", testBackup(), notUp, notUp, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRestores("test")
			err := r.Submit(t.Context(), tt.b, func() error { return tt.ready })
			if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Errorf("Submit = %v, want %v with prefix %q", err, tt.want, tt.prefix)
			}
		})
	}
}

// TestRestoresSubmitContext cancels a Submit that nobody serves.
func TestRestoresSubmitContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRestores("test")
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err := r.Submit(ctx, testBackup(), func() error { return nil })
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "test: restore: ") {
			t.Errorf("Submit = %v, want the deadline", err)
		}
	})
}
