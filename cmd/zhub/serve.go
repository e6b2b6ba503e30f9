package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/cmd/zhub/internal/sdnotify"
	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/ws"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// stopTimeout bounds a clean shutdown after SIGINT/SIGTERM.
const stopTimeout = 5 * time.Second

func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("zhub serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (default: $ZHUB_CONFIG, /etc/zhub/config.toml, built-in defaults)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, src, portErr, err := loadConfig(*path, true)
	if err != nil {
		fmt.Fprintf(stderr, "zhub: %v\n", err)
		return exitFailed
	}
	jsonLogs := cfg.Log.JSON(isTerminalWriter(stderr))
	log := newLogger(stderr, cfg.Log.SlogLevel(), jsonLogs)
	if portErr != nil {
		// Not fatal: the driver reports the same problem in /health and keeps
		// retrying until the dongle is there.
		log.Warn("coordinator port not usable yet; starting degraded and retrying", "module", "main", "event", "port_unavailable", "err", portErr)
	}
	if err := serve(ctx, cfg, src, log); err != nil {
		log.Error("zhub stopped with an error", "module", "main", "event", "exit_error", "err", err)
		fmt.Fprintf(stderr, "zhub: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// daemon holds the running components of `zhub serve`.
type daemon struct {
	cfg    config.Config
	log    *slog.Logger
	health *ws.HealthTracker
	store  *store.Store
	http   *ws.Server
	notify *sdnotify.Notifier
	hub    *hub.Hub
	simNet *sim.Network // the emulated dongle of the embedded default, or nil
	// tokens checks network clients' tokens; shared by the WebSocket
	// gateway and the local API (see authTokens in ws.go).
	tokens  *auth.Tokens
	gateway *ws.Gateway // the WebSocket gateway and web UI, or nil
	// liveGateway is gateway for `zhub status`, which the local API reads
	// concurrently from the moment it serves (before the gateway exists).
	liveGateway atomic.Pointer[ws.Gateway]
	// localAPI serves the CLI on the unix socket (see localapi.go).
	localAPI *localapi.Server
	// mcp is the device context (tools and resources, see mcp.go), or nil
	// without a hub.
	mcp *mcp.Server
	// chat answers chat requests for the gateway and the local API (see
	// chat.go), or nil before startChat.
	chat ws.Chat
	// ready is closed when the coordinator reached its first outcome (up,
	// or down with a reason), so READY=1 is not sent before then.
	ready chan struct{}
}

// serve runs the daemon until ctx is cancelled. It returns nil on a clean
// stop and the reason otherwise.
func serve(ctx context.Context, cfg config.Config, src config.Source, log *slog.Logger) error {
	start := time.Now()
	log, logRing := teeLogs(log)
	mlog := log.With("module", "main")
	from := "built-in defaults"
	if src.FromFile {
		from = src.Path
	}
	mlog.Info("zhub starting", "event", "starting", "version", buildVersion(), "config", from, "data_dir", cfg.DataDir)

	notify, err := sdnotify.FromEnv(nil)
	if err != nil {
		return err
	}
	d := &daemon{cfg: cfg, log: log, notify: notify, ready: make(chan struct{}),
		health: ws.NewHealthTracker("coordinator", "store", "mqtt")}
	stopLocalAPI, err := d.startLocalAPI(ctx, logRing)
	if err != nil {
		return err
	}
	defer stopLocalAPI()

	// Store first: everything else persists through it.
	t0 := time.Now()
	d.store, err = store.Open(ctx, store.Config{Path: filepath.Join(cfg.DataDir, "zhub.db"), Logger: log.With("module", "store")})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	d.health.Set("store", ws.StateOK, nil)
	d.health.SetDetail("store", "path", filepath.Join(cfg.DataDir, "zhub.db"))
	mlog.Info("store ready", "event", "component_ready", "component", "store", "on", "sqlite "+filepath.Join(cfg.DataDir, "zhub.db"), "elapsed_ms", ms(time.Since(t0)))
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := d.store.Close(cctx); err != nil {
			mlog.Error("store close failed", "event", "store_close_failed", "err", err)
		}
	}()

	// HTTP: bind before the slow parts so a port clash stops startup at once.
	if cfg.HTTP.Listen != "" {
		d.http, err = ws.New(ws.Config{Listen: cfg.HTTP.Listen, Version: buildVersion(), Health: d.health, Logger: log.With("module", "http")})
		if err != nil {
			return err
		}
		if err := d.http.Listen(); err != nil {
			return err
		}
		mlog.Info("http ready", "event", "component_ready", "component", "http", "on", "http://"+d.http.Addr().String())
	} else {
		mlog.Info("http server off (http.listen is empty)", "event", "component_disabled", "component", "http")
	}

	mq, err := d.listenMQTT()
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	if d.http != nil {
		g.Go(func() error { return d.http.Run(gctx) })
	}
	if err := d.startCoordinator(gctx, g); err != nil {
		return err
	}
	if err := d.startMCP(gctx, g); err != nil {
		return err
	}
	if err := d.startChat(gctx, g); err != nil {
		return err
	}
	if err := d.startGateway(gctx, g); err != nil {
		return err
	}
	d.attachLocalAPI()
	g.Go(func() error {
		select {
		case <-d.ready:
		case <-time.After(10 * time.Second):
			mlog.Warn("coordinator not up after 10 s; reporting ready in degraded state", "event", "ready_degraded")
		case <-gctx.Done():
			return nil
		}
		if err := d.notify.Notify("READY=1"); err != nil {
			mlog.Warn("systemd notify failed", "event", "notify_failed", "err", err)
		}
		mlog.Info("zhub ready", "event", "ready", "elapsed_ms", ms(time.Since(start)))
		return d.notify.RunWatchdog(gctx, nil)
	})

	if err := mq.start(gctx, g); err != nil {
		return err
	}

	// Wait for a signal or a failed component, then stop everything in time.
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		if ctx.Err() == nil {
			return fmt.Errorf("component failed: %w", err)
		}
		_ = d.notify.Notify("STOPPING=1")
		return nil
	case <-ctx.Done():
	}
	mlog.Info("zhub stopping", "event", "stopping")
	_ = d.notify.Notify("STOPPING=1")
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	case <-time.After(stopTimeout):
		return fmt.Errorf("components did not stop within %v", stopTimeout)
	}
	mlog.Info("zhub stopped", "event", "stopped", "elapsed_ms", ms(time.Since(start)))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
