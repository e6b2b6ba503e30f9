package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// SystemSocket is where the packaged daemon (systemd StateDirectory=zhub)
// serves its local API.
const SystemSocket = "/var/lib/zhub/zhub.sock"

// DefaultSocket guesses the daemon's socket without a configuration:
// $ZHUB_SOCKET, else the first socket that exists among
// $STATE_DIRECTORY/zhub.sock, $XDG_STATE_HOME/zhub/zhub.sock,
// ~/.local/state/zhub/zhub.sock and SystemSocket, else SystemSocket.
func DefaultSocket() string {
	if s := os.Getenv("ZHUB_SOCKET"); s != "" {
		return s
	}
	var candidates []string
	if sd := os.Getenv("STATE_DIRECTORY"); sd != "" {
		first, _, _ := strings.Cut(sd, ":")
		candidates = append(candidates, filepath.Join(first, "zhub.sock"))
	}
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		candidates = append(candidates, filepath.Join(x, "zhub", "zhub.sock"))
	}
	if h := os.Getenv("HOME"); h != "" {
		candidates = append(candidates, filepath.Join(h, ".local", "state", "zhub", "zhub.sock"))
	}
	for _, c := range append(candidates, SystemSocket) {
		if fi, err := os.Stat(c); err == nil && fi.Mode().Type() == fs.ModeSocket {
			return c
		}
	}
	return SystemSocket
}

// Client talks to the daemon's local API. The zero value is ready to use
// and connects to DefaultSocket(); a Client is safe for concurrent use.
type Client struct {
	// Socket is the socket path; empty means DefaultSocket().
	Socket string
	// Dial, if set, replaces dialing the socket (tests).
	Dial func(ctx context.Context) (net.Conn, error)

	once   sync.Once
	hc     *http.Client
	socket string
}

// ConnectError reports that the daemon could not be reached. Err is
// ErrNotRunning or ErrPermission (or ErrProtocol); Cause is what the
// system said.
type ConnectError struct {
	Socket string
	Err    error
	Cause  error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("localapi: %s: %v: %v", e.Socket, e.Err, e.Cause)
}

// Unwrap returns the sentinel and the cause.
func (e *ConnectError) Unwrap() []error { return []error{e.Err, e.Cause} }

func (c *Client) init() {
	c.once.Do(func() {
		c.socket = c.Socket
		if c.socket == "" && c.Dial == nil {
			c.socket = DefaultSocket()
		}
		dial := c.Dial
		if dial == nil {
			dial = func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", c.socket)
			}
		}
		c.hc = &http.Client{Transport: &http.Transport{
			DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
			DisableCompression:  true,
			MaxIdleConnsPerHost: 4,
		}}
	})
}

// SocketPath returns the socket the client connects to.
func (c *Client) SocketPath() string {
	c.init()
	return c.socket
}

// connectError classifies a transport error.
func (c *Client) connectError(err error) error {
	var sentinel error
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTSOCK):
		sentinel = ErrNotRunning
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		sentinel = ErrPermission
	default:
		return fmt.Errorf("localapi: %w", err)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		err = opErr.Err
	}
	return &ConnectError{Socket: c.socket, Err: sentinel, Cause: err}
}

// do sends a request and returns the response of a 2xx answer; any other
// answer becomes an *APIError.
func (c *Client) do(ctx context.Context, method, name string, query url.Values, body any) (*http.Response, error) {
	c.init()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("localapi: encode request: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	u := "http://zhub" + Prefix + name
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.connectError(err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil || eb.Error == "" {
		return nil, fmt.Errorf("localapi: %s %s: HTTP %d: %w", method, name, resp.StatusCode, ErrProtocol)
	}
	return nil, &APIError{Status: resp.StatusCode, Code: eb.Code, Message: eb.Error, Suggestion: eb.Suggestion}
}

// call does a request and decodes a JSON answer into out.
func call[T any](ctx context.Context, c *Client, method, name string, query url.Values, body any) (T, error) {
	var out T
	resp, err := c.do(ctx, method, name, query, body)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		return out, fmt.Errorf("localapi: %s %s: decode answer: %w: %w", method, name, ErrProtocol, err)
	}
	return out, nil
}

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	return call[Status](ctx, c, "GET", "status", nil, nil)
}

// Devices returns every device, ordered by friendly name.
func (c *Client) Devices(ctx context.Context) ([]Device, error) {
	return call[[]Device](ctx, c, "GET", "devices", nil, nil)
}

// Device returns one device by friendly name or IEEE address.
func (c *Client) Device(ctx context.Context, name string) (Device, error) {
	return call[Device](ctx, c, "GET", "device", url.Values{"name": {name}}, nil)
}

// Rename renames a device and returns it.
func (c *Client) Rename(ctx context.Context, from, to string) (Device, error) {
	return call[Device](ctx, c, "POST", "device/rename", nil, RenameRequest{Device: from, To: to})
}

// Remove removes a device (force: without asking it to leave).
func (c *Client) Remove(ctx context.Context, name string, force bool) (RemoveResult, error) {
	return call[RemoveResult](ctx, c, "POST", "device/remove", nil, RemoveRequest{Device: name, Force: force})
}

// Interview re-interviews a device, waits for the outcome and returns the
// device.
func (c *Client) Interview(ctx context.Context, name string) (Device, error) {
	return call[Device](ctx, c, "POST", "device/interview", nil, NameRequest{Device: name})
}

// Get reads properties from a device (all readable ones when none are named).
func (c *Client) Get(ctx context.Context, name string, props ...string) (StateResult, error) {
	return call[StateResult](ctx, c, "POST", "device/get", nil, GetRequest{Device: name, Properties: props})
}

// Set changes properties of a device and returns what it reported back.
func (c *Client) Set(ctx context.Context, name string, values map[string]any) (StateResult, error) {
	return call[StateResult](ctx, c, "POST", "device/set", nil, SetRequest{Device: name, Values: values})
}

// PermitJoin opens joining for durationS seconds (0 closes it) and returns
// the state the coordinator confirmed.
func (c *Client) PermitJoin(ctx context.Context, durationS int, via string) (PermitJoin, error) {
	return call[PermitJoin](ctx, c, "POST", "permit_join", nil, PermitJoinRequest{DurationS: durationS, Via: via})
}

// Backup returns the coordinator backup (Open Coordinator Backup JSON), as
// the daemon wrote it. It contains the network key.
func (c *Client) Backup(ctx context.Context) ([]byte, error) {
	resp, err := c.do(ctx, "GET", "backup", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("localapi: backup: %w", err)
	}
	return b, nil
}

// Restore sends a backup file to the coordinator.
func (c *Client) Restore(ctx context.Context, backup []byte) (RestoreResult, error) {
	return call[RestoreResult](ctx, c, "POST", "restore", nil, backup)
}

// CreateToken creates a network-client token; the secret is in the answer
// only.
func (c *Client) CreateToken(ctx context.Context, name string) (NewToken, error) {
	return call[NewToken](ctx, c, "POST", "tokens", nil, TokenRequest{Name: name})
}

// Tokens lists the tokens (no secrets).
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	return call[[]Token](ctx, c, "GET", "tokens", nil, nil)
}

// RevokeToken deletes a token; live connections using it are closed.
func (c *Client) RevokeToken(ctx context.Context, name string) (RevokeResult, error) {
	return call[RevokeResult](ctx, c, "POST", "tokens/revoke", nil, TokenRequest{Name: name})
}

// Stream reads an NDJSON answer one value at a time.
type Stream[T any] struct {
	body io.ReadCloser
	dec  *json.Decoder
	ctx  context.Context
}

func openStream[T any](ctx context.Context, c *Client, method, name string, query url.Values, body any) (*Stream[T], error) {
	resp, err := c.do(ctx, method, name, query, body)
	if err != nil {
		return nil, err
	}
	return &Stream[T]{body: resp.Body, dec: json.NewDecoder(resp.Body), ctx: ctx}, nil
}

// Next returns the next value; io.EOF when the daemon ended the stream,
// the context's error when it was cancelled.
func (s *Stream[T]) Next() (T, error) {
	var v T
	if err := s.dec.Decode(&v); err != nil {
		if s.ctx.Err() != nil {
			return v, s.ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			return v, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return v, fmt.Errorf("localapi: stream cut: %w", err)
		}
		return v, fmt.Errorf("localapi: stream: %w: %w", ErrProtocol, err)
	}
	return v, nil
}

// Close ends the stream; the daemon sees the client go.
func (s *Stream[T]) Close() error { return s.body.Close() }

// Pair opens joining and streams pairing events until a pair_done event
// (then io.EOF). Closing the stream early makes the daemon close joining.
func (c *Client) Pair(ctx context.Context, req PairRequest) (*Stream[Event], error) {
	return openStream[Event](ctx, c, "POST", "pair", nil, req)
}

// Events streams hub events (only those of device, if not empty).
func (c *Client) Events(ctx context.Context, device string) (*Stream[Event], error) {
	var q url.Values
	if device != "" {
		q = url.Values{"device": {device}}
	}
	return openStream[Event](ctx, c, "GET", "events", q, nil)
}

// Logs streams the last n log records, then (follow) new ones as they come.
func (c *Client) Logs(ctx context.Context, n int, follow bool) (*Stream[LogRecord], error) {
	q := url.Values{"n": {strconv.Itoa(n)}}
	if follow {
		q.Set("follow", "1")
	}
	return openStream[LogRecord](ctx, c, "GET", "logs", q, nil)
}

// Chat sends a chat message and streams the answer's chunks, ended by a
// complete or error chunk.
func (c *Client) Chat(ctx context.Context, req ChatRequest) (*Stream[ChatChunk], error) {
	return openStream[ChatChunk](ctx, c, "POST", "chat", nil, req)
}
