package driverkit

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/zhubhq/zhub/zigbee"
)

func TestEventsOrderAndClose(t *testing.T) {
	e := NewEvents(4)
	want := []zigbee.Event{zigbee.NetworkDown{}, zigbee.PermitJoinChanged{Open: true}, zigbee.DeviceLeft{NWK: 1}}
	for _, ev := range want {
		e.Emit(t.Context(), ev)
	}
	e.Close()
	var got []zigbee.Event
	for ev := range e.C() {
		got = append(got, ev)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	e.Emit(t.Context(), zigbee.NetworkDown{}) // dropped, and no panic on the closed channel
}

// TestEventsBlockedEmit checks that an emit waiting for a slow consumer
// is released by its context and by Close.
func TestEventsBlockedEmit(t *testing.T) {
	tests := []struct {
		name    string
		release func(cancel context.CancelFunc, e *Events)
	}{
		{"context ends", func(cancel context.CancelFunc, _ *Events) { cancel() }},
		{"close", func(_ context.CancelFunc, e *Events) { e.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := NewEvents(1)
				e.Emit(t.Context(), zigbee.NetworkDown{}) // fills the buffer
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := make(chan struct{})
				go func() {
					e.Emit(ctx, zigbee.PermitJoinChanged{})
					close(done)
				}()
				synctest.Wait()
				select {
				case <-done:
					t.Fatal("emit into a full stream returned at once")
				default:
				}
				tt.release(cancel, e)
				<-done
				if ev := <-e.C(); ev != (zigbee.NetworkDown{}) {
					t.Errorf("first event %#v, want the one buffered", ev)
				}
			})
		})
	}
}
