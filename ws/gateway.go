package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/hub"
)

// Hub is what the gateway needs from the hub.
type Hub interface {
	Devices() []hub.Device
	Device(nameOrIEEE string) (hub.Device, error)
	Get(ctx context.Context, name string, props ...string) (map[string]any, error)
	Set(ctx context.Context, name string, values map[string]any) (map[string]any, error)
	PermitJoin(ctx context.Context, d time.Duration, via string) error
	Subscribe(buffer int) *hub.Subscription
}

// Tokens checks the secrets clients present (hub/auth.Tokens in zhub).
type Tokens interface {
	// Verify returns the token's name when secret is a valid token. It
	// must compare in constant time.
	Verify(ctx context.Context, secret string) (name string, ok bool)
	// OnRevoke registers fn, called with a token's name when it is revoked.
	OnRevoke(fn func(name string)) (cancel func())
}

// Defaults of zero GatewayConfig fields.
const (
	DefaultMaxMessageSize = 64 << 10
	DefaultSendQueue      = 256
	DefaultMaxRequests    = 16
	DefaultRequestTimeout = 2 * time.Minute
	DefaultWriteTimeout   = 10 * time.Second
	DefaultPingInterval   = 30 * time.Second
	DefaultMaxConnections = 4096
	DefaultEventBuffer    = 4096
)

// GatewayConfig configures the WebSocket gateway and the web UI.
type GatewayConfig struct {
	Hub    Hub    // required
	Tokens Tokens // required
	// Chat answers "chat" requests; nil uses NoModelChat.
	Chat Chat
	// AllowedOrigins are browser origins ("https://ha.local:8123") allowed
	// besides the server's own. A request without an Origin header (not a
	// browser) is not checked.
	AllowedOrigins []string
	// Version is announced in the welcome message.
	Version string
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger

	// MaxMessageSize is the largest client message in bytes; a larger one
	// closes the connection with 1009.
	MaxMessageSize int64
	// SendQueue is the per-connection queue of outgoing messages (for each
	// of responses and events). A client whose event queue overflows, or
	// whose response queue stays full for WriteTimeout, is disconnected
	// with CloseSlowClient.
	SendQueue int
	// MaxRequests bounds requests in flight per connection, subscriptions
	// included; more are refused with too_many_requests.
	MaxRequests int
	// RequestTimeout bounds each request except subscriptions.
	RequestTimeout time.Duration
	// WriteTimeout bounds one write to a client, and how long a response
	// waits for room in a full queue.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings; a connection that sends
	// nothing (not even a pong) for two intervals is closed.
	PingInterval time.Duration
	// MaxConnections bounds open connections; more are refused with 503.
	MaxConnections int
	// EventBuffer is the hub subscription's buffer.
	EventBuffer int
}

// Gateway serves the WebSocket endpoint /ws and the web UI. Create it with
// NewGateway, mount it on a Server, and run it with Run: Run fans hub
// events out to subscribed clients, closes the connections of revoked
// tokens, and on cancellation closes every connection with 1001.
type Gateway struct {
	cfg      GatewayConfig
	log      *slog.Logger
	chat     Chat
	origins  map[string]bool
	upgrader websocket.Upgrader

	mu       sync.Mutex
	conns    map[*conn]struct{}
	stopping bool
	nextID   uint64

	wg          sync.WaitGroup // connection goroutines
	slowClients atomic.Uint64
	refused     atomic.Uint64
}

// NewGateway validates cfg. It does no I/O.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Hub == nil {
		return nil, fmt.Errorf("ws: gateway: %w: Hub is required", ErrConfig)
	}
	if cfg.Tokens == nil {
		return nil, fmt.Errorf("ws: gateway: %w: Tokens is required (every connection needs a token)", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	chat := cfg.Chat
	if chat == nil {
		chat = NoModelChat
	}
	setDefault(&cfg.MaxMessageSize, DefaultMaxMessageSize)
	setDefault(&cfg.SendQueue, DefaultSendQueue)
	setDefault(&cfg.MaxRequests, DefaultMaxRequests)
	setDefault(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	setDefault(&cfg.PingInterval, DefaultPingInterval)
	setDefault(&cfg.MaxConnections, DefaultMaxConnections)
	setDefault(&cfg.EventBuffer, DefaultEventBuffer)
	origins := map[string]bool{}
	for _, o := range cfg.AllowedOrigins {
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("ws: gateway: %w: allowed origin %q: %v", ErrConfig, o, err)
		}
		origins[n] = true
	}
	g := &Gateway{cfg: cfg, log: cfg.Logger, chat: chat, origins: origins, conns: map[*conn]struct{}{}}
	g.upgrader = websocket.Upgrader{
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		WriteBufferPool:  &sync.Pool{},
		HandshakeTimeout: 10 * time.Second,
		// The origin was checked before the token (and before Upgrade);
		// checking again here keeps gorilla's guard on.
		CheckOrigin: g.originAllowed,
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			http.Error(w, reason.Error(), status)
		},
	}
	return g, nil
}

func setDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Run fans hub events out to subscriptions and watches token revocations
// until ctx is cancelled; then it closes every connection with 1001 and
// waits for their goroutines. It returns nil on cancellation.
func (g *Gateway) Run(ctx context.Context) error {
	sub := g.cfg.Hub.Subscribe(g.cfg.EventBuffer)
	defer sub.Close()
	stopRevoke := g.cfg.Tokens.OnRevoke(g.closeToken)
	defer stopRevoke()
	g.log.Info("websocket gateway running", "event", "ws_running")
	events := sub.C()
	for {
		select {
		case <-ctx.Done():
			g.shutdown()
			return nil
		case ev, ok := <-events:
			if !ok {
				// The hub stopped; keep serving requests until we are told to stop.
				events = nil
				continue
			}
			g.fanOut(ev)
		}
	}
}

// shutdown refuses new connections, closes every open one with 1001 and
// waits for their goroutines.
func (g *Gateway) shutdown() {
	t0 := time.Now()
	g.mu.Lock()
	g.stopping = true
	n := len(g.conns)
	for c := range g.conns {
		c.close(websocket.CloseGoingAway, "server shutting down", errShutdown)
	}
	g.mu.Unlock()
	g.wg.Wait()
	g.log.Info("websocket gateway stopped", "event", "ws_stopped", "closed", n, "elapsed_ms", ms(time.Since(t0)))
}

// closeToken closes the live connections of a revoked token.
func (g *Gateway) closeToken(name string) {
	g.mu.Lock()
	n := 0
	for c := range g.conns {
		if c.client == name {
			c.close(CloseTokenRevoked, "token revoked", errConnClosed)
			n++
		}
	}
	g.mu.Unlock()
	g.log.Info("token revoked; its connections closed", "event", "ws_token_revoked", "client", name, "closed", n)
}

// fanOut delivers one hub event to every matching subscription. It never
// blocks: a connection whose queue is full is disconnected.
func (g *Gateway) fanOut(ev hub.Event) {
	kind, device, md := eventMetadata(ev)
	if md == nil {
		return
	}
	chunk, err := json.Marshal(Chunk{Metadata: md})
	if err != nil {
		g.log.Error("event not encodable", "event", "ws_event_encode_failed", "err", err)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		c.deliver(kind, device, chunk)
	}
}

// ClientInfo describes one open connection.
type ClientInfo struct {
	ID            uint64    `json:"id"`
	Client        string    `json:"client"` // the token's name
	Remote        string    `json:"remote"`
	Since         time.Time `json:"since"`
	Requests      int       `json:"requests"` // in flight, subscriptions included
	Subscriptions int       `json:"subscriptions"`
}

// Clients lists the open connections, oldest first.
func (g *Gateway) Clients() []ClientInfo {
	g.mu.Lock()
	out := make([]ClientInfo, 0, len(g.conns))
	for c := range g.conns {
		out = append(out, c.info())
	}
	g.mu.Unlock()
	slices.SortFunc(out, func(a, b ClientInfo) int { return int(a.ID) - int(b.ID) })
	return out
}

// Connections returns the number of open connections.
func (g *Gateway) Connections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// SlowClients returns how many connections were closed for not reading.
func (g *Gateway) SlowClients() uint64 { return g.slowClients.Load() }

// register adds c, or reports why it cannot be added.
func (g *Gateway) register(c *conn) (status int, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return http.StatusServiceUnavailable, "server shutting down"
	}
	if len(g.conns) >= g.cfg.MaxConnections {
		return http.StatusServiceUnavailable, "too many connections"
	}
	g.nextID++
	c.id = g.nextID
	g.conns[c] = struct{}{}
	g.wg.Add(1)
	return 0, ""
}

func (g *Gateway) unregister(c *conn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	g.wg.Done()
}

// handleWS authenticates and upgrades a connection, then serves it on this
// goroutine (the reader) with one writer goroutine.
func (g *Gateway) handleWS(w http.ResponseWriter, r *http.Request) {
	remote := r.RemoteAddr
	if !g.originAllowed(r) {
		g.refused.Add(1)
		g.log.Warn("websocket refused: origin not allowed", "event", "ws_refused", "reason", "origin", "origin", r.Header.Get("Origin"), "remote", remote)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	client, why := g.authenticate(r)
	if client == "" {
		g.refused.Add(1)
		g.log.Warn("websocket refused: "+why, "event", "ws_refused", "reason", why, "remote", remote)
		w.Header().Set("WWW-Authenticate", `Bearer realm="zhub"`)
		http.Error(w, why, http.StatusUnauthorized)
		return
	}
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	c := newConn(g, ctx, cancel, client, remote)
	if status, reason := g.register(c); status != 0 {
		cancel(errConnClosed)
		g.refused.Add(1)
		g.log.Warn("websocket refused: "+reason, "event", "ws_refused", "reason", reason, "client", client, "remote", remote)
		http.Error(w, reason, status)
		return
	}
	defer g.unregister(c)
	wsc, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		cancel(errConnClosed)
		// Upgrade already answered the client.
		g.log.Warn("websocket upgrade failed", "event", "ws_upgrade_failed", "client", client, "remote", remote, "err", err)
		return
	}
	c.serve(wsc)
}

// originAllowed reports whether a request's Origin (if any) is this server
// or an allowed origin.
func (g *Gateway) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser; the token is what counts
	}
	n, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	if g.origins[n] {
		return true
	}
	u, _ := url.Parse(n)
	return strings.EqualFold(u.Host, r.Host)
}

// normalizeOrigin lower-cases an origin and checks it is scheme://host[:port].
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("not an origin (scheme://host[:port])")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
