package driverkit

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

func TestPermitJoinWake(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name   string
		until  time.Time
		want   time.Time
		wantOK bool
	}{
		{"closed", time.Time{}, time.Time{}, false},
		{"ends within a period", now.Add(time.Minute), now.Add(time.Minute), true},
		{"renewed before the period ends", now.Add(time.Hour), now.Add(MaxPermitJoin - 10*time.Second), true},
		{"ended", now.Add(-time.Second), now.Add(-time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PermitJoinWake(tt.until, now)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("PermitJoinWake = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestJoiningOpen(t *testing.T) {
	tests := []struct {
		name     string
		dur      time.Duration
		via      zigbee.NWK
		sendErr  error
		wantSent time.Duration
		wantVia  zigbee.NWK
		wantOpen bool
	}{
		{"all routers", time.Minute, 0, nil, time.Minute, zigbee.NWKBroadcastRouter, true},
		{"one router", time.Minute, 0x1234, nil, time.Minute, 0x1234, true},
		{"long window sends one period", time.Hour, 0, nil, MaxPermitJoin, zigbee.NWKBroadcastRouter, true},
		{"close", 0, 0, nil, 0, zigbee.NWKBroadcastRouter, false},
		{"negative closes", -time.Second, 0, nil, 0, zigbee.NWKBroadcastRouter, false},
		{"send fails", time.Minute, 0, errors.New("no SRSP"), time.Minute, zigbee.NWKBroadcastRouter, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, rec := newLog()
			w := &window{}
			ev := NewEvents(1)
			j := &Joining{Window: w, Events: ev, Log: log}
			var sent []time.Duration
			var sentVia zigbee.NWK
			err := j.Open(t.Context(), tt.dur, tt.via, func(_ context.Context, d time.Duration, via zigbee.NWK) error {
				sent, sentVia = append(sent, d), via
				return tt.sendErr
			})
			if !errors.Is(err, tt.sendErr) {
				t.Fatalf("Open = %v, want %v", err, tt.sendErr)
			}
			if !slices.Equal(sent, []time.Duration{tt.wantSent}) || sentVia != tt.wantVia {
				t.Errorf("sent %v via %v, want %v via %v", sent, sentVia, tt.wantSent, tt.wantVia)
			}
			until, _ := w.PermitJoinWindow()
			if open := !until.IsZero(); open != tt.wantOpen {
				t.Errorf("window open %v (until %v), want %v", open, until, tt.wantOpen)
			}
			if tt.sendErr != nil {
				if n := len(rec.events(t, "permit_join")); n != 0 {
					t.Errorf("a failed send logged permit_join")
				}
				return
			}
			if e := <-ev.C(); e != (zigbee.PermitJoinChanged{Open: tt.wantOpen, Duration: max(tt.dur, 0)}) {
				t.Errorf("event %#v", e)
			}
		})
	}
}

func TestJoiningRenew(t *testing.T) {
	tests := []struct {
		name       string
		left       time.Duration // zero: closed
		closeAtEnd bool
		wantSent   []time.Duration
		wantClosed bool
	}{
		{"closed window", 0, false, nil, false},
		{"short window re-sent for what is left", time.Minute, false, []time.Duration{time.Minute}, false},
		{"long window re-sent for one period", time.Hour, false, []time.Duration{MaxPermitJoin}, false},
		{"ended window closes", time.Second, false, nil, true},
		{"ended window closes on the coordinator too", time.Second, true, []time.Duration{0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, rec := newLog()
				w := &window{via: 0x1234}
				if tt.left > 0 {
					w.until = time.Now().Add(tt.left)
				}
				ev := NewEvents(1)
				j := &Joining{Window: w, Events: ev, Log: log, CloseAtEnd: tt.closeAtEnd}
				var sent []time.Duration
				j.Renew(t.Context(), func(_ context.Context, d time.Duration, via zigbee.NWK) error {
					if via != 0x1234 {
						t.Errorf("sent via %v, want the window's router", via)
					}
					sent = append(sent, d)
					return nil
				})
				if !slices.Equal(sent, tt.wantSent) {
					t.Errorf("sent %v, want %v", sent, tt.wantSent)
				}
				closed := len(rec.events(t, "permit_join_closed")) == 1
				if closed != tt.wantClosed {
					t.Errorf("closed %v, want %v", closed, tt.wantClosed)
				}
				if tt.wantClosed {
					if until, _ := w.PermitJoinWindow(); !until.IsZero() {
						t.Errorf("window still open until %v", until)
					}
					if e := <-ev.C(); e != (zigbee.PermitJoinChanged{Open: false}) {
						t.Errorf("event %#v", e)
					}
				}
			})
		})
	}
}

// TestServeRenewsPermitJoin opens a 10-minute window on a serving session:
// it is sent in 254 s periods, each renewed 10 s before it runs out, and
// closed when the 10 minutes are over.
func TestServeRenewsPermitJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, _ := newLog()
		f := newFakeSession()
		ev := NewEvents(8)
		j := &Joining{Window: f.win, Events: ev, Log: log}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- f.serving(ev, NewRestores("test"), j).Serve(ctx) }()
		synctest.Wait() // Serve found no window to re-open
		if err := j.Open(t.Context(), 10*time.Minute, 0, f.join); err != nil {
			t.Fatal(err)
		}
		if e := <-ev.C(); e != (zigbee.PermitJoinChanged{Open: true, Duration: 10 * time.Minute}) {
			t.Fatalf("event %#v", e)
		}
		if e := <-ev.C(); e != (zigbee.PermitJoinChanged{Open: false}) {
			t.Fatalf("event %#v, want the window to close", e)
		}
		cancel()
		<-served
		f.mu.Lock()
		defer f.mu.Unlock()
		// Open sent 254 s; Serve renewed at 244 s (254 s) and 488 s (112 s left).
		want := []time.Duration{MaxPermitJoin, MaxPermitJoin, 10*time.Minute - 2*(MaxPermitJoin-10*time.Second)}
		if !slices.Equal(f.joins, want) {
			t.Errorf("windows sent %v, want %v", f.joins, want)
		}
	})
}

// TestServeReopensWindow starts serving with a window still open (the
// coordinator restarted and forgot it): Serve sends it again at once.
func TestServeReopensWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, _ := newLog()
		f := newFakeSession()
		f.win.SetPermitJoinWindow(time.Now().Add(time.Hour), zigbee.NWKBroadcastRouter)
		ev := NewEvents(8)
		ctx, cancel := context.WithCancel(t.Context())
		served := make(chan error, 1)
		go func() {
			served <- f.serving(ev, NewRestores("test"), &Joining{Window: f.win, Events: ev, Log: log}).Serve(ctx)
		}()
		synctest.Wait()
		cancel()
		<-served
		if !slices.Equal(f.joins, []time.Duration{MaxPermitJoin}) {
			t.Errorf("windows sent %v, want one period at start", f.joins)
		}
	})
}
