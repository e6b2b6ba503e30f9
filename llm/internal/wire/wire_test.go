package wire

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{400, llm.ErrBadRequest}, {401, llm.ErrAuth}, {403, llm.ErrAuth}, {404, llm.ErrBadRequest},
		{408, llm.ErrTimeout}, {422, llm.ErrBadRequest}, {429, llm.ErrRateLimit}, {500, llm.ErrUnavailable},
		{502, llm.ErrUnavailable}, {503, llm.ErrOverloaded}, {504, llm.ErrTimeout}, {529, llm.ErrOverloaded},
	}
	for _, tt := range tests {
		if err := Status("p", tt.status, nil, "", nil); !errors.Is(err, tt.want) || err.Status != tt.status {
			t.Errorf("%d: %v, want %v", tt.status, err, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"fraction", http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{"milliseconds header wins", http.Header{"Retry-After": {"7"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"HTTP date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"negative", http.Header{"Retry-After": {"-3"}}, 0},
		{"absurd", http.Header{"Retry-After": {"1e300"}}, 0},
		{"none", http.Header{}, 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.h, now); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTransport(t *testing.T) {
	cause := errors.New("connection refused")
	if err := Transport(t.Context(), "p", cause); !errors.Is(err, llm.ErrUnavailable) || !errors.Is(err, cause) {
		t.Errorf("network error: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Transport(ctx, "p", cause); err != context.Canceled {
		t.Errorf("caller cancellation: %v", err)
	}
	ctx, dog := Watch(t.Context(), time.Millisecond)
	defer dog.Stop()
	<-ctx.Done()
	if err := Transport(ctx, "p", cause); !errors.Is(err, llm.ErrTimeout) {
		t.Errorf("stall: %v", err)
	}
	if Transport(t.Context(), "p", nil) != nil {
		t.Error("nil error became an error")
	}
}

func TestWatchdogKickAndStop(t *testing.T) {
	ctx, dog := Watch(t.Context(), time.Hour)
	dog.Kick()
	if ctx.Err() != nil {
		t.Fatal("fired early")
	}
	dog.Stop()
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Errorf("cause after Stop: %v", context.Cause(ctx))
	}
	ctx, dog = Watch(t.Context(), -1)
	dog.Kick()
	if ctx.Err() != nil {
		t.Error("a disabled watchdog fired")
	}
	dog.Stop()
}
