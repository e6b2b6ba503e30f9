package driverkit

import (
	"sync"
	"testing"
)

// A consumer that falls far behind loses nothing and sees every item in
// order, while the producer never blocks.
func TestMailboxSlowConsumerLosesNothing(t *testing.T) {
	m := NewMailbox[int](4, 0)
	const n = 5000
	var got []int
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Go(func() {
		<-release // the consumer starts only after every Put returned
		for v := range m.C() {
			got = append(got, v)
			if len(got) == n {
				return
			}
		}
	})
	for i := range n {
		if !m.Put(i) {
			t.Fatalf("Put(%d) dropped with %d queued", i, m.Queued())
		}
	}
	close(release)
	wg.Wait()
	m.Close()
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d is %d: out of order", i, v)
		}
	}
	if len(got) != n {
		t.Fatalf("got %d items, want %d", len(got), n)
	}
}

func TestMailboxDropsBeyondMax(t *testing.T) {
	m := NewMailbox[int](1, 3)
	defer m.Close()
	accepted := 0
	for i := range 10 {
		if m.Put(i) {
			accepted++
		}
	}
	// 1 in the channel and 3 queued (the item the mover waits to send stays
	// counted in the queue until the channel takes it).
	if accepted != 4 {
		t.Fatalf("accepted %d of 10 with buffer 1 and max 3", accepted)
	}
	for i := range accepted {
		if v := <-m.C(); v != i {
			t.Fatalf("item %d is %d", i, v)
		}
	}
}

func TestMailboxCloseEndsDelivery(t *testing.T) {
	m := NewMailbox[string](2, 0)
	m.Put("a")
	m.Put("b")
	m.Put("c") // queued: the channel holds two
	m.Close()
	var got []string
	for v := range m.C() { // closed: the loop ends
		got = append(got, v)
	}
	if len(got) < 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("after Close read %q; want the buffered a, b first", got)
	}
	if m.Queued() != 0 {
		t.Fatalf("%d still queued after Close", m.Queued())
	}
}
