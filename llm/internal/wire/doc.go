// Package wire holds what the llm adapters share about HTTP: mapping
// statuses and transport failures to *llm.ProviderError, Retry-After, and
// the idle watchdog that turns a stalled stream into a timeout.
//
// Contracts: Transport returns the caller's own cancellation unchanged
// (it is not a failure); a Watchdog's timer goroutine is owned by the
// runtime timer and ends with Stop, which every Watch must be paired with.
package wire
