package localapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/auth"
)

// Errors the client returns. Every client error starts with "localapi: "
// or is an *APIError; match with errors.Is.
var (
	// ErrNotRunning: nothing listens on the socket (absent, or refused).
	ErrNotRunning = errors.New("daemon not running")
	// ErrPermission: the socket exists but this user may not connect.
	ErrPermission = errors.New("permission denied")
	// ErrProtocol: the daemon answered something this client cannot read
	// (another program on the socket, or a much newer/older daemon).
	ErrProtocol = errors.New("unexpected answer from the daemon")
	// ErrStarting: the daemon is up but its hub is not attached yet.
	ErrStarting = errors.New("daemon is starting")
	// ErrChatUnavailable: the daemon has no chat service.
	ErrChatUnavailable = errors.New("chat not available")
)

// Error codes (ErrorBody.Code, APIError.Code).
const (
	CodeBadRequest      = "bad_request"
	CodeNotFound        = "not_found" // no such endpoint or token
	CodeUnknownDevice   = "unknown_device"
	CodeUnknownGroup    = "unknown_group"
	CodeEmptyGroup      = "empty_group"
	CodeNotSupported    = "not_supported"
	CodeUnknownProperty = "unknown_property"
	CodeReadOnly        = "read_only"
	CodeNotReadable     = "not_readable"
	CodeInvalidValue    = "invalid_value"
	CodeOutOfRange      = "out_of_range"
	CodeDuplicateName   = "duplicate_name"
	CodeInvalidName     = "invalid_name"
	CodeExists          = "exists"
	CodeTimeout         = "timeout"
	CodeNotDelivered    = "not_delivered"
	CodeRejected        = "rejected"
	CodeOffline         = "device_offline"
	CodeNotRunning      = "hub_not_running"
	CodeInterview       = "interview_failed"
	CodeNotInterviewed  = "not_interviewed"
	CodeStarting        = "starting"
	CodeUnavailable     = "unavailable"
	CodeCanceled        = "canceled"
	CodeInternal        = "internal"
)

// APIError is a non-2xx answer of the daemon, as the client sees it.
type APIError struct {
	Status     int // HTTP status
	Code       string
	Message    string
	Suggestion string
}

func (e *APIError) Error() string { return e.Message }

// Unwrap maps the codes that have a client sentinel.
func (e *APIError) Unwrap() error {
	switch e.Code {
	case CodeStarting:
		return ErrStarting
	case CodeUnavailable:
		return ErrChatUnavailable
	}
	return nil
}

// codeOf maps an error from the hub, auth or a request to a status and
// code. Order matters: the most specific reason first.
func codeOf(err error) (int, string) {
	if ce, ok := errors.AsType[*codedError](err); ok {
		return ce.status, ce.code
	}
	table := []struct {
		err    error
		status int
		code   string
	}{
		{hub.ErrUnknownDevice, http.StatusNotFound, CodeUnknownDevice},
		{hub.ErrUnknownGroup, http.StatusNotFound, CodeUnknownGroup},
		{hub.ErrUnknownProperty, http.StatusBadRequest, CodeUnknownProperty},
		{hub.ErrReadOnly, http.StatusBadRequest, CodeReadOnly},
		{hub.ErrNotReadable, http.StatusBadRequest, CodeNotReadable},
		{hub.ErrOutOfRange, http.StatusBadRequest, CodeOutOfRange},
		{hub.ErrInvalidValue, http.StatusBadRequest, CodeInvalidValue},
		{hub.ErrDuplicateName, http.StatusConflict, CodeDuplicateName},
		{hub.ErrInvalidName, http.StatusBadRequest, CodeInvalidName},
		{hub.ErrNotInterviewed, http.StatusConflict, CodeNotInterviewed},
		{hub.ErrEmptyGroup, http.StatusConflict, CodeEmptyGroup},
		{hub.ErrNotSupported, http.StatusBadRequest, CodeNotSupported},
		{hub.ErrInterview, http.StatusBadGateway, CodeInterview},
		{hub.ErrDeviceOffline, http.StatusGatewayTimeout, CodeOffline},
		{hub.ErrTimeout, http.StatusGatewayTimeout, CodeTimeout},
		{hub.ErrNotDelivered, http.StatusBadGateway, CodeNotDelivered},
		{hub.ErrRejected, http.StatusBadGateway, CodeRejected},
		{hub.ErrNotRunning, http.StatusServiceUnavailable, CodeNotRunning},
		{auth.ErrInvalidName, http.StatusBadRequest, CodeInvalidName},
		{auth.ErrExists, http.StatusConflict, CodeExists},
		{auth.ErrNotFound, http.StatusNotFound, CodeNotFound},
		{context.Canceled, 499, CodeCanceled},
		{context.DeadlineExceeded, http.StatusGatewayTimeout, CodeTimeout},
	}
	for _, t := range table {
		if errors.Is(err, t.err) {
			return t.status, t.code
		}
	}
	return http.StatusInternalServerError, CodeInternal
}

// suggestionOf returns the "did you mean" of a hub error.
func suggestionOf(err error) string {
	if ue, ok := errors.AsType[*hub.UnknownDeviceError](err); ok {
		return ue.Suggestion
	}
	if ge, ok := errors.AsType[*hub.UnknownGroupError](err); ok {
		return ge.Suggestion
	}
	if pe, ok := errors.AsType[*hub.PropertyError](err); ok {
		return pe.Suggestion
	}
	return ""
}

// codedError is an error a handler raises with its own status and code.
type codedError struct {
	status int
	code   string
	msg    string
}

func (e *codedError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &codedError{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf(format, args...)}
}

// message is the text of err for a person: the hub's "hub: " prefix is
// dropped, since the CLI speaks for zhub as a whole.
func message(err error) string {
	s := err.Error()
	for _, p := range []string{"hub: ", "auth: "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}
