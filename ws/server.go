package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Config configures the HTTP server.
type Config struct {
	// Listen is the TCP address, e.g. "127.0.0.1:8480".
	Listen  string
	Version string
	Health  *HealthTracker
	Logger  *slog.Logger
	// ShutdownTimeout bounds graceful shutdown (default 3 s).
	ShutdownTimeout time.Duration
}

// Server is the HTTP server.
type Server struct {
	cfg Config
	mux *http.ServeMux
	ln  net.Listener
	log *slog.Logger
	gw  atomic.Pointer[Gateway]
}

// New validates cfg. It does no I/O.
func New(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		return nil, errors.New("ws: empty listen address (the HTTP server is off; do not construct it)")
	}
	if cfg.Health == nil {
		return nil, errors.New("ws: Config.Health is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 3 * time.Second
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger}
	s.mux.HandleFunc("GET /health", s.handleHealth)
	return s, nil
}

// Handle registers a handler on the server's mux (for the API, /ws, /mcp).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Mount serves gw on this server: /ws, the web UI at /, /ui/, /auth/check
// and /auth/logout; /health then also counts gw's connections. Call it
// once, before Run. The caller runs gw.Run beside Server.Run.
func (s *Server) Mount(gw *Gateway) {
	if !s.gw.CompareAndSwap(nil, gw) {
		panic("ws: Server.Mount called twice")
	}
	gw.routes(s.mux)
}

// Listen binds the configured address.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ws: http.listen %s: %w (another zhub running? change http.listen or ZHUB_HTTP_LISTEN)", s.cfg.Listen, err)
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address (after Listen).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Run serves until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.log.Info("http server listening", "event", "http_listening", "addr", s.ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("ws: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-errc
	return nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	rep := s.cfg.Health.Report(s.cfg.Version)
	if gw := s.gw.Load(); gw != nil {
		rep.Connections = gw.Connections()
		// Who is connected is shown only to a client with a token.
		if name, _ := gw.authenticate(r); name != "" {
			rep.Clients = gw.Clients()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rep.Status == StatusDegraded {
		// Still 200: the daemon answers; monitoring reads the status field.
		w.Header().Set("X-Zhub-Status", rep.Status)
	}
	_ = json.NewEncoder(w).Encode(rep)
}
