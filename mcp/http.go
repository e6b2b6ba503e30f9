package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tokens checks the bearer tokens of HTTP clients (*auth.Tokens of
// hub/auth implements it).
type Tokens interface {
	// Verify returns the token's name when secret is valid (constant time).
	Verify(ctx context.Context, secret string) (name string, ok bool)
	// OnRevoke registers fn, called with a token's name when it is revoked.
	OnRevoke(fn func(name string)) (cancel func())
}

// HTTPConfig configures Handler.
type HTTPConfig struct {
	// Tokens is required: every request needs "Authorization: Bearer <token>".
	Tokens Tokens
	// AllowedOrigins are browser origins allowed besides the server's own
	// (the configuration's http.allowed_origins). A request without an
	// Origin header (not a browser) is not checked.
	AllowedOrigins []string
	// SessionTimeout closes 2025-11-25 sessions idle this long (default 30 min).
	SessionTimeout time.Duration
}

// DefaultSessionTimeout is HTTPConfig.SessionTimeout's default.
const DefaultSessionTimeout = 30 * time.Minute

// modernVersion is the first stateless protocol revision (SEP-2575).
const modernVersion = "2026-07-28"

// HTTPHandler serves MCP over Streamable HTTP with token authentication
// and Origin validation. Close it when the daemon stops.
type HTTPHandler struct {
	s       *Server
	tokens  Tokens
	origins map[string]bool
	inner   http.Handler
	unhook  func()

	mu   sync.Mutex
	live map[string]map[*liveReq]struct{} // token name -> requests in flight (streams included)
}

type liveReq struct{ cancel context.CancelFunc }

type tokenNameKey struct{}

// Handler returns the Streamable HTTP handler for the daemon's /mcp.
func (s *Server) Handler(cfg HTTPConfig) (*HTTPHandler, error) {
	if cfg.Tokens == nil {
		return nil, fmt.Errorf("mcp: %w: HTTP needs Tokens", ErrConfig)
	}
	origins, err := normalizeOrigins(cfg.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	h := &HTTPHandler{s: s, tokens: cfg.Tokens, origins: origins, live: map[string]map[*liveReq]struct{}{}}
	// The SDK binds each 2025-11-25 session to the token that created it
	// (TokenInfo.UserID), so another token cannot use its session id.
	bind := auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		name, _ := ctx.Value(tokenNameKey{}).(string)
		if name == "" {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: name}, nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})
	h.inner = bind(s.streamable(cfg.SessionTimeout))
	h.unhook = cfg.Tokens.OnRevoke(h.revoked)
	return h, nil
}

// Close stops following token revocations and ends the requests in flight.
func (h *HTTPHandler) Close() {
	h.unhook()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, reqs := range h.live {
		for r := range reqs {
			r.cancel()
		}
	}
}

// revoked ends the streams and requests of a revoked token; its next
// request is refused by the token check.
func (h *HTTPHandler) revoked(name string) {
	h.mu.Lock()
	reqs := h.live[name]
	delete(h.live, name)
	h.mu.Unlock()
	for r := range reqs {
		r.cancel()
	}
	if len(reqs) > 0 {
		h.s.log.Info("token revoked: MCP requests ended", "event", "mcp_token_revoked", "client", name, "requests", len(reqs))
	}
}

func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !originAllowed(r, h.origins) {
		h.s.log.Warn("MCP request refused: origin not allowed", "event", "mcp_refused", "reason", "origin",
			"origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
		writeRPCError(w, http.StatusForbidden, "origin "+r.Header.Get("Origin")+" is not allowed (add it to http.allowed_origins)")
		return
	}
	name, why := h.authenticate(r)
	if name == "" {
		h.s.log.Warn("MCP request refused: "+why, "event", "mcp_refused", "reason", why, "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="zhub", error="invalid_token", error_description="`+why+`"`)
		writeRPCError(w, http.StatusUnauthorized, why+": send Authorization: Bearer <token> (create one with `zhub token create`)")
		return
	}
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), tokenNameKey{}, name))
	defer cancel()
	lr := &liveReq{cancel: cancel}
	h.mu.Lock()
	if h.live[name] == nil {
		h.live[name] = map[*liveReq]struct{}{}
	}
	h.live[name][lr] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.live[name], lr)
		if len(h.live[name]) == 0 {
			delete(h.live, name)
		}
		h.mu.Unlock()
	}()
	h.inner.ServeHTTP(w, r.WithContext(ctx))
}

// authenticate returns the name of the request's valid token, or "" and
// why (never the secret).
func (h *HTTPHandler) authenticate(r *http.Request) (string, string) {
	hdr := r.Header.Get("Authorization")
	if hdr == "" {
		return "", "no token"
	}
	scheme, secret, _ := strings.Cut(hdr, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" || strings.ContainsAny(secret, " \t") {
		return "", "malformed Authorization header"
	}
	name, ok := h.tokens.Verify(r.Context(), secret)
	if !ok {
		return "", "invalid or revoked token"
	}
	return name, ""
}

// streamable routes each request to the stateless handler (protocol
// 2026-07-28 and later, SEP-2575) or the stateful one (initialize and
// 2025-11-25 sessions with Mcp-Session-Id). The SDK serves 2026-07-28 over
// HTTP only statelessly. A legacy request without a session id other than
// initialize is refused with 400, as the transport says for servers that
// use sessions.
func (s *Server) streamable(timeout time.Duration) http.Handler {
	get := func(*http.Request) *sdk.Server { return s.sdk }
	log := sdkLogger(s.log)
	stateful := sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{SessionTimeout: timeout, Logger: log})
	stateless := sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{Stateless: true, Logger: log,
		PropagateRequestCancellation: true})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch route(r) {
		case routeStateless:
			stateless.ServeHTTP(w, r)
		case routeNoSession:
			writeRPCError(w, http.StatusBadRequest, "missing Mcp-Session-Id: send initialize first (or speak protocol "+modernVersion+")")
		default:
			stateful.ServeHTTP(w, r)
		}
	})
}

type routing int

const (
	routeStateful routing = iota
	routeStateless
	routeNoSession
)

// route decides where a request goes: a session id means stateful; an
// MCP-Protocol-Version header, a body's _meta protocol version of
// 2026-07-28 or later, or server/discover mean stateless; a POST of
// anything but initialize without a session is refused.
func route(r *http.Request) routing {
	if r.Header.Get("Mcp-Session-Id") != "" {
		return routeStateful
	}
	header := r.Header.Get("Mcp-Protocol-Version")
	if header >= modernVersion {
		return routeStateless
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return routeStateful
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, sdk.DefaultMaxRequestBodyBytes+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return routeStateful // the SDK answers the broken body
	}
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Meta map[string]any `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return routeStateful
	}
	if v, _ := msg.Params.Meta[sdk.MetaKeyProtocolVersion].(string); v >= modernVersion || msg.Method == "server/discover" {
		return routeStateless
	}
	if msg.Method != "initialize" {
		return routeNoSession
	}
	return routeStateful
}

// writeRPCError answers with an HTTP status and a JSON-RPC error body
// (id null: the request was not read), which MCP clients surface as is.
func writeRPCError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": -32600, "message": msg}})
}

// originAllowed reports whether a request's Origin (if any) is the server
// itself or an allowed origin: the DNS-rebinding defence MCP requires.
func originAllowed(r *http.Request, allowed map[string]bool) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	n, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	if allowed[n] {
		return true
	}
	u, _ := url.Parse(n)
	return strings.EqualFold(u.Host, r.Host)
}

func normalizeOrigins(list []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, o := range list {
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("mcp: %w: allowed origin %q: %v", ErrConfig, o, err)
		}
		out[n] = true
	}
	return out, nil
}

// normalizeOrigin lower-cases an origin and checks it is scheme://host[:port].
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", errors.New("not an origin (scheme://host[:port])")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
