package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhubhq/zhub/llm"
)

// ErrStalled is the cancellation cause set by a Watchdog that fired.
var ErrStalled = errors.New("stream stalled")

// Status maps an HTTP error status to a *llm.ProviderError. msg is the
// provider's explanation (already extracted from the body, may be empty).
func Status(provider string, status int, h http.Header, msg string, cause error) *llm.ProviderError {
	e := &llm.ProviderError{Provider: provider, Status: status, Msg: msg, Err: cause}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = llm.KindAuth
	case status == http.StatusTooManyRequests:
		e.Kind = llm.KindRateLimit
		e.RetryAfter = RetryAfter(h, time.Now())
	case status == 529 || status == http.StatusServiceUnavailable:
		e.Kind = llm.KindOverloaded
		e.RetryAfter = RetryAfter(h, time.Now())
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Kind = llm.KindTimeout
	case status >= 500:
		e.Kind = llm.KindUnavailable
	case status >= 400:
		e.Kind = llm.KindBadRequest
	default:
		e.Kind = llm.KindMalformedStream
	}
	return e
}

// RetryAfter reads retry-after-ms (OpenAI, Anthropic) or Retry-After
// (seconds or an HTTP date, RFC 9110 §10.2.3). It returns 0 when absent or
// unparsable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 || s > 1e6 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Transport classifies an error that is not an HTTP status: cancellation,
// stalls, deadlines and network failures. It returns ctx's error unchanged
// when the caller cancelled (cancellation is not a failure), and nil if err
// is nil.
func Transport(ctx context.Context, provider string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, ErrStalled):
			return &llm.ProviderError{Kind: llm.KindTimeout, Provider: provider, Msg: "no data from the provider within the idle timeout", Err: cause}
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return &llm.ProviderError{Kind: llm.KindTimeout, Provider: provider, Err: cause}
		default:
			return ctx.Err()
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &llm.ProviderError{Kind: llm.KindTimeout, Provider: provider, Err: err}
	}
	return &llm.ProviderError{Kind: llm.KindUnavailable, Provider: provider, Err: err}
}

// Watchdog cancels its context when Kick is not called for a while: a
// provider that stops sending mid-stream (or never answers) becomes a
// timeout instead of a hung chat.
type Watchdog struct {
	d      time.Duration
	mu     sync.Mutex
	t      *time.Timer
	cancel context.CancelCauseFunc
}

// Watch returns a context that is cancelled with cause ErrStalled after d
// without a Kick (d <= 0 disables the watchdog). Stop must be called.
func Watch(ctx context.Context, d time.Duration) (context.Context, *Watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &Watchdog{d: d, cancel: cancel}
	if d > 0 {
		w.t = time.AfterFunc(d, func() { cancel(ErrStalled) })
	}
	return ctx, w
}

// Kick restarts the idle period.
func (w *Watchdog) Kick() {
	if w.t == nil {
		return
	}
	w.mu.Lock()
	w.t.Reset(w.d)
	w.mu.Unlock()
}

// Stop disarms the watchdog and releases the context.
func (w *Watchdog) Stop() {
	if w.t != nil {
		w.t.Stop()
	}
	w.cancel(context.Canceled)
}

// MaxErrorBody bounds how much of an error response Call reads.
const MaxErrorBody = 64 << 10

// StatusError is a non-2xx answer seen by Call, for the adapter to
// classify with Status and its own reading of Body.
type StatusError struct {
	Code   int
	Header http.Header
	Body   []byte // at most MaxErrorBody bytes
}

func (e *StatusError) Error() string { return "http status " + strconv.Itoa(e.Code) }

// Call is one streaming request of an adapter.
type Call struct {
	Client   *http.Client
	Provider string // the name errors carry
	URL      string
	Header   http.Header // Content-Type: application/json is added
	Body     []byte      // the JSON request
	// Idle bounds the wait for the first byte and between Decode's kicks
	// (<= 0: no bound).
	Idle time.Duration
	// Decode turns the 2xx body into events, calling kick on every unit
	// of progress. Its errors are *llm.ProviderError (Provider may be
	// empty) for protocol problems, or the body's read error.
	Decode func(body io.Reader, kick func()) iter.Seq2[llm.Event, error]
	// Status maps a non-2xx answer (body read up to MaxErrorBody) to an
	// error; the adapter reads its own error body format.
	Status func(e *StatusError) *llm.ProviderError
}

// Events sends the request and yields what Decode makes of the answer,
// following the llm.Provider stream contract: one failure ends the
// sequence, as a *llm.ProviderError naming the provider or as ctx's own
// error when the caller cancelled; breaking out of the range loop closes
// the response.
func (c Call) Events(ctx context.Context) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		wctx, dog := Watch(ctx, c.Idle)
		defer dog.Stop()
		resp, err := c.post(wctx)
		if err != nil {
			yield(nil, c.classify(wctx, err))
			return
		}
		defer resp.Body.Close()
		for ev, err := range c.Decode(resp.Body, dog.Kick) {
			if err != nil {
				yield(nil, c.classify(wctx, err))
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

func (c Call) post(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Body))
	if err != nil {
		return nil, &llm.ProviderError{Kind: llm.KindBadRequest, Msg: "bad base_url", Err: err}
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	return nil, &StatusError{Code: resp.StatusCode, Header: resp.Header, Body: b}
}

// classify turns any failure into the contract's error.
func (c Call) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return Transport(ctx, c.Provider, err)
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		err = c.Status(se)
	}
	if pe, ok := errors.AsType[*llm.ProviderError](err); ok {
		pe.Provider = c.Provider
		return pe
	}
	return Transport(ctx, c.Provider, err)
}
