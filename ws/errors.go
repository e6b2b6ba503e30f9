package ws

import (
	"context"
	"errors"

	"github.com/zhubhq/zhub/hub"
)

// Errors of the package.
var (
	// ErrConfig: a Config or GatewayConfig is missing a required part or
	// holds an impossible value.
	ErrConfig = errors.New("invalid configuration")
	// ErrUnauthorized: the request carried no token, or one that is not
	// (or no longer) valid.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrOriginNotAllowed: a browser request came from an origin that is
	// neither this server nor listed in the allowed origins.
	ErrOriginNotAllowed = errors.New("origin not allowed")
	// ErrBadPayload: an action's payload is missing a field or has the
	// wrong shape. Handlers wrap it with the detail.
	ErrBadPayload = errors.New("bad payload")
)

// Causes of a request's context ending, told apart in its terminal response.
var (
	errCancelled      = errors.New("ws: cancelled by the client")
	errRequestTimeout = errors.New("ws: request timed out")
	errConnClosed     = errors.New("ws: connection closed")
	errShutdown       = errors.New("ws: server shutting down")
)

// hubCodes maps hub sentinels to error codes, most specific first.
var hubCodes = []struct {
	err  error
	code string
}{
	{hub.ErrUnknownDevice, CodeUnknownDevice},
	{hub.ErrUnknownProperty, CodeUnknownProperty},
	{hub.ErrReadOnly, CodeReadOnly},
	{hub.ErrNotReadable, CodeNotReadable},
	{hub.ErrOutOfRange, CodeOutOfRange},
	{hub.ErrInvalidValue, CodeInvalidValue},
	{hub.ErrInvalidName, CodeInvalidValue},
	{hub.ErrDeviceOffline, CodeDeviceOffline},
	{hub.ErrTimeout, CodeDeviceTimeout},
	{hub.ErrNotDelivered, CodeNotDelivered},
	{hub.ErrRejected, CodeRejected},
	{hub.ErrNotRunning, CodeNotRunning},
	{hub.ErrNotInterviewed, CodeNotInterviewed},
	{hub.ErrInterview, CodeInterviewFailed},
}

// errorCode classifies the error a request ended with. ctx is the
// request's context: its cause tells a client's cancel, the per-request
// timeout and a shutdown apart from a failure of the work itself.
func errorCode(ctx context.Context, err error) (code string, extra map[string]any) {
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errCancelled):
			return CodeCancelled, nil
		case errors.Is(cause, errRequestTimeout):
			return CodeTimeout, nil
		case errors.Is(cause, errShutdown):
			return CodeShuttingDown, nil
		}
	}
	if errors.Is(err, ErrBadPayload) {
		return CodeBadPayload, nil
	}
	if _, ok := errors.AsType[*chatError](err); ok {
		return CodeChatFailed, nil
	}
	if ue, ok := errors.AsType[*hub.UnknownDeviceError](err); ok && ue.Suggestion != "" {
		extra = map[string]any{"suggestion": ue.Suggestion}
	}
	for _, m := range hubCodes {
		if errors.Is(err, m.err) {
			return m.code, extra
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return CodeTimeout, nil
	}
	return CodeInternal, nil
}
