package driverkit

import "context"

// Slots bounds the transactions (Send, ZDORequest) a driver has in flight:
// a call takes a slot before it talks to the coordinator and gives it back
// when its confirmation or answer came. Make it with make(Slots, n).
type Slots chan struct{}

// Acquire takes a slot, waiting for one, or returns ctx.Err().
func (s Slots) Acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release gives back a slot taken with Acquire.
func (s Slots) Release() { <-s }

// IDs marks the 8-bit ids (AF transaction ids, EZSP message tags) in use,
// so that no two transactions in flight share one. Its user guards it with
// its own lock.
type IDs [256]bool

// Take returns a free id and marks it in use: *next if it is free, else
// the first free one after it, wrapping from 255 to 1 (0 is never handed
// out once *next starts at 1). It advances *next past the id returned.
// With all 255 in use it returns *next unmarked; a bound on the
// transactions in flight (Slots) below 255 rules that out.
func (u *IDs) Take(next *uint8) uint8 {
	for range 255 {
		t := *next
		*next++
		if *next == 0 {
			*next = 1
		}
		if !u[t] {
			u[t] = true
			return t
		}
	}
	return *next
}

// Free marks id as no longer in use.
func (u *IDs) Free(id uint8) { u[id] = false }
