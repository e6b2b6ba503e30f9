package hub

import (
	"context"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// TestHistoryBounds: per device property at most HistoryRate points a
// second are queued, later ones in the same second replace the last one
// kept; beyond MaxPendingHistory points are dropped and counted.
func TestHistoryBounds(t *testing.T) {
	h, err := New(Config{Coordinator: nopCoordinator{}, HistoryRate: 3, MaxPendingHistory: 8})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 0)
	pt := func(ieee zigbee.IEEE, prop string, ms int, v float64) HistoryPoint {
		return HistoryPoint{IEEE: ieee, Property: prop, At: t0.Add(time.Duration(ms) * time.Millisecond), Value: v}
	}
	p := h.p
	for i := range 10 { // a burst within one second
		p.addHistory(pt(1, "power", i, float64(i)))
	}
	p.addHistory(pt(1, "energy", 5, 1))    // another property has its own budget
	p.addHistory(pt(1, "power", 1000, 42)) // the next second
	var got []float64
	for _, x := range p.history {
		if x.Property == "power" {
			got = append(got, x.Value.(float64))
		}
	}
	if want := []float64{0, 1, 9, 42}; !equal(got, want) {
		t.Errorf("power points %v, want %v", got, want)
	}
	// After a flush took the queue, replacing never touches the new one.
	p.history, p.gen = nil, p.gen+1
	p.addHistory(pt(1, "power", 1001, 43))
	if len(p.history) != 1 || p.history[0].Value != 43.0 {
		t.Errorf("after a flush: %v", p.history)
	}
	for i := range 20 {
		p.addHistory(pt(zigbee.IEEE(100+i), "state", 0, 1))
	}
	if len(p.history) != 8 || p.droppedHistory() != 13 {
		t.Errorf("%d queued, %d dropped; want 8 and 13", len(p.history), p.droppedHistory())
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nopCoordinator is a hand-written coordinator that does nothing.
type nopCoordinator struct{}

func (nopCoordinator) Run(ctx context.Context) error    { <-ctx.Done(); return nil }
func (nopCoordinator) Events() <-chan zigbee.Event      { return nil }
func (nopCoordinator) Info() (zigbee.NetworkInfo, bool) { return zigbee.NetworkInfo{}, false }
func (nopCoordinator) PermitJoin(context.Context, time.Duration, zigbee.NWK) error {
	return zigbee.ErrNotRunning
}
func (nopCoordinator) Send(context.Context, zigbee.APSFrame) error { return zigbee.ErrNotRunning }
func (nopCoordinator) ZDORequest(context.Context, zigbee.NWK, zigbee.ClusterID, []byte) ([]byte, error) {
	return nil, zigbee.ErrNotRunning
}
func (nopCoordinator) Backup(context.Context) (*zigbee.Backup, error) {
	return nil, zigbee.ErrNotRunning
}
func (nopCoordinator) Restore(context.Context, *zigbee.Backup) error { return zigbee.ErrNotRunning }
