package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/hub"
)

// Paths on the daemon's unix socket (LocalHandler, ContextHandler).
const (
	LocalPath   = "/mcp"
	StdioPath   = "/mcp/stdio"
	ContextPath = "/mcp/context/v0/devices"
	// StdioUpgrade is the Upgrade token of the stdio bridge.
	StdioUpgrade = "mcp-stdio"
)

// LocalHandler serves MCP on the daemon's unix socket, whose file
// permissions are the access control (no tokens). Mount it at LocalPath
// and StdioPath:
//   - /mcp: Streamable HTTP, as Handler without authentication;
//   - /mcp/stdio: an HTTP upgrade to newline-delimited JSON-RPC, the
//     stdio transport carried over the socket, which `zhub mcp` bridges to
//     its own stdin and stdout (see Bridge).
func (s *Server) LocalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(LocalPath, s.streamable(DefaultSessionTimeout))
	mux.HandleFunc(StdioPath, s.serveStdio)
	return mux
}

// ContextHandler serves the owner's view of the device context on the
// daemon's unix socket (mount it at ContextPath and ContextPath + "/"):
// GET ContextPath lists every device's context; GET, PATCH (a
// ContextUpdate) and DELETE ContextPath/NAME read, change and clear one.
// `zhub device context` uses it; rules change only here (and in the web
// UI), never through the tools.
func (s *Server) ContextHandler() http.Handler {
	mux := http.NewServeMux()
	s.contextRoutes(mux)
	return mux
}

// serveStdio upgrades the connection and runs one MCP session over it,
// exactly as over a subprocess's stdin and stdout.
func (s *Server) serveStdio(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), StdioUpgrade) || !headerHasToken(r.Header, "Connection", "upgrade") {
		writeContextError(w, http.StatusUpgradeRequired, "upgrade_required", "send Connection: Upgrade and Upgrade: "+StdioUpgrade, "")
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeContextError(w, http.StatusInternalServerError, "internal", "connection cannot be upgraded", "")
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		s.log.Warn("stdio upgrade failed", "event", "mcp_stdio_failed", "err", err)
		return
	}
	defer conn.Close()
	if _, err := brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + StdioUpgrade + "\r\n\r\n"); err != nil {
		return
	}
	if err := brw.Flush(); err != nil {
		return
	}
	t0 := time.Now()
	ss, err := s.sdk.Connect(r.Context(), &sdk.IOTransport{Reader: readCloser{brw.Reader, conn}, Writer: conn}, nil)
	if err != nil {
		s.log.Warn("stdio session failed", "event", "mcp_stdio_failed", "err", err)
		return
	}
	s.log.Info("stdio MCP session started", "event", "mcp_stdio_started")
	done := make(chan struct{})
	go func() {
		_ = ss.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-r.Context().Done():
		ss.Close()
		<-done
	}
	s.log.Info("stdio MCP session ended", "event", "mcp_stdio_ended", "elapsed_ms", ms(time.Since(t0)))
}

type readCloser struct {
	io.Reader
	io.Closer
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Bridge connects stdin and stdout to the daemon's MCP server through
// conn, a connection to the daemon's unix socket: it asks for the stdio
// upgrade, then copies bytes both ways. It returns when the daemon ends
// the session (stdin, if it is an io.Closer, is then closed so the copier
// stops) or when stdin reaches EOF and the daemon closed its side. This
// is `zhub mcp`.
func Bridge(ctx context.Context, conn net.Conn, stdin io.Reader, stdout io.Writer) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req := "GET " + StdioPath + " HTTP/1.1\r\nHost: zhub\r\nConnection: Upgrade\r\nUpgrade: " + StdioUpgrade + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return fmt.Errorf("mcp: bridge: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("mcp: bridge: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		var eb ContextAPIError
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(data, &eb) == nil && eb.Message != "" {
			eb.Status = resp.StatusCode
			return &eb
		}
		return fmt.Errorf("mcp: bridge: the daemon answered %s (is it a zhub with MCP enabled?)", resp.Status)
	}
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, stdin)
		// Stdin ended: tell the daemon, which ends the session and closes.
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		copied <- err
	}()
	_, rerr := io.Copy(stdout, br)
	conn.Close()
	select {
	case <-copied:
	default:
		if c, ok := stdin.(io.Closer); ok {
			c.Close()
		}
		<-copied
	}
	if ctx.Err() != nil {
		return nil
	}
	// The client closing its end (stdout's reader gone: EPIPE, or a closed
	// pipe in-process) while the daemon still had a message for it is how
	// a session normally ends, not a failure.
	if rerr != nil && !errors.Is(rerr, net.ErrClosed) && !errors.Is(rerr, io.ErrClosedPipe) && !errors.Is(rerr, syscall.EPIPE) {
		return fmt.Errorf("mcp: bridge: %w", rerr)
	}
	return nil
}

// ContextAPIError is a refusal of the context API (and of the stdio
// upgrade), in the local API's error shape.
type ContextAPIError struct {
	Status     int    `json:"-"`
	Message    string `json:"error"`
	Code       string `json:"code"`
	Suggestion string `json:"suggestion,omitempty"`
}

func (e *ContextAPIError) Error() string { return e.Message }

func writeContextError(w http.ResponseWriter, status int, code, msg, suggestion string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ContextAPIError{Message: msg, Code: code, Suggestion: suggestion})
}

// contextRoutes adds the device context API.
func (s *Server) contextRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ContextPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.DeviceContexts())
	})
	mux.HandleFunc("GET "+ContextPath+"/{name...}", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.DeviceContext(r.PathValue("name"))
		if err != nil {
			s.contextError(w, err)
			return
		}
		writeJSON(w, v)
	})
	mux.HandleFunc("PATCH "+ContextPath+"/{name...}", func(w http.ResponseWriter, r *http.Request) {
		var u ContextUpdate
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&u); err != nil {
			writeContextError(w, http.StatusBadRequest, "bad_request", "context update: "+err.Error(), "")
			return
		}
		v, err := s.SetDeviceContext(r.Context(), r.PathValue("name"), u)
		if err != nil {
			s.contextError(w, err)
			return
		}
		writeJSON(w, v)
	})
	mux.HandleFunc("DELETE "+ContextPath+"/{name...}", func(w http.ResponseWriter, r *http.Request) {
		empty, none, full := "", []string{}, AccessFull
		v, err := s.SetDeviceContext(r.Context(), r.PathValue("name"),
			ContextUpdate{Room: &empty, Aliases: &none, Notes: &empty, Access: &full, Deny: &none})
		if err != nil {
			s.contextError(w, err)
			return
		}
		writeJSON(w, v)
	})
}

func (s *Server) contextError(w http.ResponseWriter, err error) {
	if ue, ok := errors.AsType[*hub.UnknownDeviceError](err); ok {
		writeContextError(w, http.StatusNotFound, "unknown_device", strings.TrimPrefix(err.Error(), "hub: "), ue.Suggestion)
		return
	}
	switch {
	case errors.Is(err, ErrInvalidContext):
		writeContextError(w, http.StatusBadRequest, "invalid", strings.TrimPrefix(err.Error(), "mcp: "), "")
	case errors.Is(err, context.Canceled):
		writeContextError(w, http.StatusServiceUnavailable, "unavailable", "request cancelled", "")
	default:
		s.log.Error("device context request failed", "event", "mcp_context_failed", "err", err)
		writeContextError(w, http.StatusInternalServerError, "internal", err.Error(), "")
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
