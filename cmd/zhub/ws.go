package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/auth/authstore"
	"github.com/zhubhq/zhub/ws"
)

// loginOut receives the one-time login link (a variable for tests).
var loginOut io.Writer = os.Stderr

// authTokens returns the daemon's token service, creating it on first use.
// The WebSocket gateway and the local API must share this one instance:
// it caches the tokens, and a revocation through the local API must reach
// the gateway's OnRevoke hook.
func (d *daemon) authTokens() (*auth.Tokens, error) {
	if d.tokens != nil {
		return d.tokens, nil
	}
	t, err := auth.New(auth.Config{Store: authstore.Store{S: d.store}, Logger: d.log.With("module", "auth")})
	if err != nil {
		return nil, err
	}
	d.tokens = t
	return t, nil
}

// chatService is what answers "chat" on the WebSocket and the local API:
// the one chat service startChat built (chat.go), or ws.NoModelChat, which
// says honestly that no model is connected, before that or without a hub.
func (d *daemon) chatService() ws.Chat {
	if d.chat == nil {
		return ws.NoModelChat
	}
	return d.chat
}

// startGateway mounts the WebSocket gateway and the web UI on the HTTP
// server and runs it under g. It needs the HTTP server and the hub; on the
// first start (no token yet) it creates one and prints the login link.
func (d *daemon) startGateway(ctx context.Context, g *errgroup.Group) error {
	log := d.log.With("module", "ws")
	if d.http == nil {
		return nil
	}
	if d.hub == nil {
		log.Warn("websocket gateway off: no hub (coordinator disabled)", "event", "component_disabled", "component", "ws")
		return nil
	}
	tokens, err := d.authTokens()
	if err != nil {
		return err
	}
	gw, err := ws.NewGateway(ws.GatewayConfig{
		Hub:            d.hub,
		Tokens:         tokens,
		Chat:           d.chatService(),
		AllowedOrigins: d.cfg.HTTP.AllowedOrigins,
		Version:        buildVersion(),
		Logger:         log,
	})
	if err != nil {
		return err
	}
	d.gateway = gw
	d.liveGateway.Store(gw)
	d.http.Mount(gw)
	g.Go(func() error { return gw.Run(ctx) })

	secret, created, err := tokens.EnsureFirstToken(ctx)
	if err != nil {
		// The daemon still serves the CLI; `zhub token create` can retry.
		log.Error("cannot create the first token", "event", "first_token_failed", "err", err)
		return nil
	}
	if created {
		link := loginURL(d.http.Addr(), secret)
		log.Info("first start: created a token for the web UI; its login link is printed once", "event", "first_token_created",
			"client", auth.FirstTokenName)
		writeLoginLink(loginOut, d.cfg.Log.JSON(isTerminalWriter(loginOut)), link)
	}
	return nil
}

// loginURL is the web UI's login link for the bound address. A wildcard
// address is shown with the machine's host name, which a browser elsewhere
// on the network can use.
func loginURL(addr net.Addr, secret string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		host, port = addr.String(), ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		} else {
			host = "localhost"
		}
	}
	hostport := host
	if port != "" {
		hostport = net.JoinHostPort(host, port)
	}
	return (&url.URL{Scheme: "http", Host: hostport, Path: "/", RawQuery: "token=" + url.QueryEscape(secret)}).String()
}

// writeLoginLink writes the one-time login link. This is the single,
// deliberate exception to "no secret in the logs": the person installing
// zhub needs the link once, on the console or in the journal, as Jupyter
// prints its token. It bypasses slog on purpose, because the logger's
// redaction (second line of defence against leaked tokens) would blank the
// token. In JSON mode the line is a JSON record like the others (module
// "main", event "login_url"), so log tooling still parses every line.
func writeLoginLink(w io.Writer, jsonLogs bool, link string) {
	if jsonLogs {
		b, _ := json.Marshal(map[string]string{
			"time": time.Now().Format(time.RFC3339Nano), "level": "INFO", "msg": "open this link once to log in to the web UI",
			"module": "main", "event": "login_url", "url": link,
		})
		_, _ = fmt.Fprintf(w, "%s\n", b)
		return
	}
	_, _ = fmt.Fprintf(w, "\n    zhub: open this link once to log in to the web UI (shown only now):\n    %s\n\n", link)
}
