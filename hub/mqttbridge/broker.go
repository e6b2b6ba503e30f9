package mqttbridge

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// BrokerConfig configures the embedded MQTT broker.
type BrokerConfig struct {
	// Listen is the TCP address, host:port (port 0 picks a free one).
	Listen string
	// Username and Password, when Username is set, are the only
	// credentials the broker accepts. They are required when Listen is not
	// a loopback address: a broker reachable from the network must not be
	// open to anyone.
	Username string
	Password string
	// Logger; nil discards. The broker library's own records (connection
	// errors) are passed through at warning level and above.
	Logger *slog.Logger
}

// Broker is the embedded MQTT 3.1.1/5 broker (mochi-mqtt) that zhub runs
// when no external broker is configured. The bridge connects to it over
// TCP like to any broker, and so can Home Assistant. Create it with
// NewBroker, bind with Listen, serve with Run; it keeps retained messages
// in memory only.
type Broker struct {
	cfg BrokerConfig
	log *slog.Logger

	mu  sync.Mutex
	ln  net.Listener
	srv *mochi.Server
}

// NewBroker validates cfg. It does no I/O.
func NewBroker(cfg BrokerConfig) (*Broker, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("mqttbridge: broker: listen %q: %w: %v", cfg.Listen, ErrConfig, err)
	}
	if !isLoopback(host) && cfg.Username == "" {
		return nil, fmt.Errorf("mqttbridge: broker: listen %q is reachable from the network: %w: a username and password are required", cfg.Listen, ErrConfig)
	}
	if cfg.Username != "" && cfg.Password == "" {
		return nil, fmt.Errorf("mqttbridge: broker: %w: username %q has no password", ErrConfig, cfg.Username)
	}
	return &Broker{cfg: cfg, log: cfg.Logger}, nil
}

// isLoopback reports whether host (from host:port) only accepts local
// connections. An empty host listens on every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen binds the address, so a clash with another broker is reported
// before anything else starts. Run calls it when it was not called.
func (b *Broker) Listen() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", b.cfg.Listen)
	if err != nil {
		return fmt.Errorf("mqttbridge: broker: listen %s: %w", b.cfg.Listen, err)
	}
	b.ln = ln
	return nil
}

// Addr returns the bound address (nil before Listen).
func (b *Broker) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln == nil {
		return nil
	}
	return b.ln.Addr()
}

// URL returns the address as a broker URL for clients (mqtt://host:port),
// "" before Listen.
func (b *Broker) URL() string {
	a := b.Addr()
	if a == nil {
		return ""
	}
	return "mqtt://" + a.String()
}

// Run serves until ctx is cancelled, then disconnects every client and
// closes the listener. It returns nil on cancellation. A Broker runs once.
func (b *Broker) Run(ctx context.Context) error {
	if err := b.Listen(); err != nil {
		return err
	}
	b.mu.Lock()
	if b.srv != nil {
		b.mu.Unlock()
		return errors.New("mqttbridge: broker: Run called twice")
	}
	caps := mochi.NewDefaultServerCapabilities()
	// One publish per device state: allow a burst from a big network to
	// queue per client rather than be dropped by the broker.
	caps.MaximumClientWritesPending = 16 * 1024
	srv := mochi.New(&mochi.Options{
		Capabilities: caps,
		// Larger socket buffers: one write per batch of small publishes.
		ClientNetWriteBufferSize: 16 * 1024,
		ClientNetReadBufferSize:  16 * 1024,
		InlineClient:             false,
		Logger:                   slog.New(levelFilter{h: b.log.With("event", "broker_library").Handler(), min: slog.LevelWarn}),
	})
	b.srv = srv
	ln := b.ln
	b.mu.Unlock()

	var hook mochi.Hook = &allowHook{}
	if b.cfg.Username != "" {
		hook = &passwordHook{user: []byte(b.cfg.Username), pass: []byte(b.cfg.Password)}
	}
	if err := srv.AddHook(hook, nil); err != nil {
		return fmt.Errorf("mqttbridge: broker: add auth hook: %w", err)
	}
	if err := srv.AddHook(&packetIDHook{}, nil); err != nil {
		return fmt.Errorf("mqttbridge: broker: add packet id hook: %w", err)
	}
	if err := srv.AddListener(&netListener{id: "tcp", ln: ln}); err != nil {
		return fmt.Errorf("mqttbridge: broker: add listener: %w", err)
	}
	if err := srv.Serve(); err != nil {
		_ = ln.Close()
		return fmt.Errorf("mqttbridge: broker: serve: %w", err)
	}
	b.log.Info("mqtt broker listening", "event", "broker_started", "addr", ln.Addr().String(), "auth", b.cfg.Username != "")
	<-ctx.Done()
	_ = srv.Close()
	b.log.Info("mqtt broker stopped", "event", "broker_stopped", "addr", ln.Addr().String())
	return nil
}

// netListener serves mochi from a listener we bound ourselves (so Listen
// reports a port clash synchronously and port 0 works). It tracks the
// connections it accepted and closes them on Close: mochi's Close waits
// for every client, and a connection still in its CONNECT handshake is not
// in mochi's client list yet, so mochi alone would wait for it forever.
type netListener struct {
	id string
	ln net.Listener

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func (l *netListener) Init(*slog.Logger) error { return nil }
func (l *netListener) ID() string              { return l.id }
func (l *netListener) Address() string         { return l.ln.Addr().String() }
func (l *netListener) Protocol() string        { return "tcp" }

func (l *netListener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = conn.Close()
			return
		}
		if l.conns == nil {
			l.conns = map[net.Conn]struct{}{}
		}
		l.conns[conn] = struct{}{}
		l.mu.Unlock()
		go func() {
			_ = establish(l.id, conn)
			l.mu.Lock()
			delete(l.conns, conn)
			l.mu.Unlock()
		}()
	}
}

func (l *netListener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	_ = l.ln.Close()
	closeClients(l.id)
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
}

var _ listeners.Listener = (*netListener)(nil)

// allowHook lets every client connect and use every topic (loopback only).
type allowHook struct{ mochi.HookBase }

func (h *allowHook) ID() string { return "zhub-allow-local" }
func (h *allowHook) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}
func (h *allowHook) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }
func (h *allowHook) OnACLCheck(*mochi.Client, string, bool) bool              { return true }

// passwordHook accepts exactly one username/password pair.
type passwordHook struct {
	mochi.HookBase
	user, pass []byte
}

func (h *passwordHook) ID() string { return "zhub-password" }
func (h *passwordHook) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (h *passwordHook) OnConnectAuthenticate(_ *mochi.Client, pk packets.Packet) bool {
	u := subtle.ConstantTimeCompare(pk.Connect.Username, h.user)
	p := subtle.ConstantTimeCompare(pk.Connect.Password, h.pass)
	return u&p == 1
}

// OnACLCheck: an authenticated client may use every topic.
func (h *passwordHook) OnACLCheck(cl *mochi.Client, _ string, _ bool) bool {
	return bytes.Equal(cl.Properties.Username, h.user)
}

// packetIDHook works around mochi-mqtt v2.7.9 keeping the packet ids of
// its own outgoing QoS 1/2 publishes and of the client's requests in one
// table: a client SUBSCRIBE whose id equals that of a retained message
// still unacknowledged is refused (SUBACK 0x80, which MQTT 3.1.1 clients
// such as paho report as success), so a client that subscribes twice in a
// row right after a burst of retained messages (Home Assistant: its
// discovery prefix, then state topics) silently misses a subscription.
// MQTT numbers each direction's packets independently (MQTT 3.1.1
// §2.3.1), so the broker's entry is forgotten instead: the message was
// already written, and only its redelivery to a persistent session after a
// reconnect is lost.
type packetIDHook struct{ mochi.HookBase }

func (h *packetIDHook) ID() string           { return "zhub-packet-ids" }
func (h *packetIDHook) Provides(b byte) bool { return b == mochi.OnPacketRead }

func (h *packetIDHook) OnPacketRead(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	switch pk.FixedHeader.Type {
	case packets.Subscribe, packets.Unsubscribe:
	case packets.Publish:
		if pk.FixedHeader.Qos == 0 {
			return pk, nil
		}
	default:
		return pk, nil
	}
	if out, ok := cl.State.Inflight.Get(pk.PacketID); ok && out.FixedHeader.Type == packets.Publish {
		if cl.State.Inflight.Delete(pk.PacketID) {
			cl.State.Inflight.IncreaseSendQuota()
		}
	}
	return pk, nil
}

// levelFilter passes records at or above min to h.
type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.h.Enabled(ctx, l)
}
func (f levelFilter) Handle(ctx context.Context, r slog.Record) error { return f.h.Handle(ctx, r) }
func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h: f.h.WithAttrs(a), min: f.min}
}
func (f levelFilter) WithGroup(g string) slog.Handler {
	return levelFilter{h: f.h.WithGroup(g), min: f.min}
}
