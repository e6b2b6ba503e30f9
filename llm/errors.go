package llm

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels. A *ProviderError matches the one of its Kind with errors.Is;
// the loop's own failures wrap the others.
var (
	// ErrAuth: the API key or token was refused (HTTP 401/403).
	ErrAuth = errors.New("authentication failed")
	// ErrRateLimit: too many requests (HTTP 429); see ProviderError.RetryAfter.
	ErrRateLimit = errors.New("rate limited")
	// ErrOverloaded: the provider is overloaded (HTTP 529/503, overloaded_error).
	ErrOverloaded = errors.New("provider overloaded")
	// ErrBadRequest: the provider refused the request as invalid (HTTP 400/404/422).
	ErrBadRequest = errors.New("bad request")
	// ErrTimeout: the provider stalled or the request ran out of time.
	ErrTimeout = errors.New("timed out")
	// ErrMalformedStream: the stream could not be decoded or ended early.
	ErrMalformedStream = errors.New("malformed stream")
	// ErrUnavailable: the provider could not be reached or failed (HTTP 5xx,
	// connection refused or reset).
	ErrUnavailable = errors.New("provider unavailable")
	// ErrMaxIterations: the tool loop reached Config.MaxIterations.
	ErrMaxIterations = errors.New("too many tool-call rounds")
	// ErrConfig: a Config is missing something it needs.
	ErrConfig = errors.New("invalid configuration")
)

// ErrorKind classifies a provider failure.
type ErrorKind int

// Error kinds; each has the sentinel of the same name.
const (
	KindUnavailable ErrorKind = iota
	KindAuth
	KindRateLimit
	KindOverloaded
	KindBadRequest
	KindTimeout
	KindMalformedStream
)

var kindSentinel = [...]error{
	KindUnavailable:     ErrUnavailable,
	KindAuth:            ErrAuth,
	KindRateLimit:       ErrRateLimit,
	KindOverloaded:      ErrOverloaded,
	KindBadRequest:      ErrBadRequest,
	KindTimeout:         ErrTimeout,
	KindMalformedStream: ErrMalformedStream,
}

// Sentinel returns the ErrXxx value of k.
func (k ErrorKind) Sentinel() error {
	if int(k) < 0 || int(k) >= len(kindSentinel) {
		return ErrUnavailable
	}
	return kindSentinel[k]
}

func (k ErrorKind) String() string { return k.Sentinel().Error() }

// ProviderError is a failure reported by or about a provider.
type ProviderError struct {
	Kind     ErrorKind
	Provider string // Provider.Name()
	// Status is the HTTP status (0 when there was none, e.g. a mid-stream
	// error event or a stall).
	Status int
	// RetryAfter is how long the provider asked to wait (Retry-After), 0 if
	// it did not say.
	RetryAfter time.Duration
	// Msg is the provider's own explanation, safe to show a user.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

func (e *ProviderError) Error() string {
	s := "llm: " + e.Provider + ": " + e.Kind.String()
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	} else if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is the sentinel of e's Kind.
func (e *ProviderError) Is(target error) bool { return target == e.Kind.Sentinel() }

// Unwrap returns the underlying cause.
func (e *ProviderError) Unwrap() error { return e.Err }
