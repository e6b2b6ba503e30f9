package driverkit

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

func TestSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := make(Slots, 2)
		for range 2 {
			if err := s.Acquire(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan error, 1)
		go func() { got <- s.Acquire(ctx) }()
		synctest.Wait()
		select {
		case err := <-got:
			t.Fatalf("third Acquire of 2 slots returned %v at once", err)
		default:
		}
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Acquire = %v, want context.Canceled", err)
		}
		go func() { got <- s.Acquire(t.Context()) }()
		s.Release()
		if err := <-got; err != nil {
			t.Errorf("Acquire after Release = %v", err)
		}
	})
}

func TestIDs(t *testing.T) {
	tests := []struct {
		name     string
		next     uint8
		inUse    []uint8
		want     uint8
		wantNext uint8
	}{
		{"first", 1, nil, 1, 2},
		{"skips ids in use", 5, []uint8{5, 6}, 7, 8},
		{"wraps past 255 to 1, never 0", 255, []uint8{255}, 1, 2},
		{"255 then 1", 255, nil, 255, 1},
		{"all in use", 1, allIDs(), 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u IDs
			for _, id := range tt.inUse {
				u[id] = true
			}
			next := tt.next
			if got := u.Take(&next); got != tt.want || next != tt.wantNext {
				t.Errorf("Take = %d (next %d), want %d (next %d)", got, next, tt.want, tt.wantNext)
			}
		})
	}
}

func allIDs() []uint8 {
	var ids []uint8
	for i := 1; i <= 255; i++ {
		ids = append(ids, uint8(i))
	}
	return ids
}

// TestIDsDistinct takes ids until 254 are in flight, freeing some on the
// way: no id is handed out twice while in use, and 0 never.
func TestIDsDistinct(t *testing.T) {
	var u IDs
	next := uint8(1)
	inUse := map[uint8]bool{}
	for i := range 600 {
		id := u.Take(&next)
		if id == 0 || inUse[id] {
			t.Fatalf("take %d: id %d (in use: %v)", i, id, inUse[id])
		}
		inUse[id] = true
		if i%3 == 0 { // free every third id again
			u.Free(id)
			delete(inUse, id)
		}
		if len(inUse) == 254 {
			break
		}
	}
}
