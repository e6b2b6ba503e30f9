// Package wire holds what the llm adapters share about HTTP: Call, which
// posts a streaming request and runs the adapter's decoder over the answer;
// mapping statuses and transport failures to *llm.ProviderError;
// Retry-After; and the idle watchdog that turns a stalled stream into a
// timeout.
//
// Contracts: Transport returns the caller's own cancellation unchanged
// (it is not a failure); a Watchdog's timer goroutine is owned by the
// runtime timer and ends with Stop, which every Watch must be paired with;
// Call.Events yields at most one error, always a *llm.ProviderError naming
// the provider or ctx's own error, and closes the response when the range
// loop ends.
package wire
