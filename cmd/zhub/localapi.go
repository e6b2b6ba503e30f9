package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"

	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/ws"
)

// teeLogs returns the daemon's logger, which now also keeps its recent
// records (info and above, secrets redacted) for `zhub logs`.
func teeLogs(log *slog.Logger) (*slog.Logger, *localapi.LogRing) {
	ring := localapi.NewLogRing(localapi.LogRingConfig{Replace: redactAttr})
	return slog.New(ring.Handler(log.Handler())), ring
}

// startLocalAPI binds the local API socket and serves it at once, before
// the store and the coordinator start, so that the CLI sees "starting"
// rather than "connection refused". The returned stop ends it and waits.
func (d *daemon) startLocalAPI(ctx context.Context, logs *localapi.LogRing) (stop func(), err error) {
	log := d.log.With("module", "localapi")
	srv, err := localapi.New(localapi.Config{
		Socket:     d.cfg.SocketPath(),
		Version:    buildVersion(),
		Logs:       logs,
		Components: d.components,
		Logger:     log,
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, err
	}
	d.localAPI = srv
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(rctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			log.Error("local API failed", "event", "localapi_failed", "err", err)
		}
	}, nil
}

// attachLocalAPI gives the local API the hub, the token service and the
// chat service once they exist.
func (d *daemon) attachLocalAPI() {
	if d.localAPI == nil {
		return
	}
	if d.hub != nil {
		d.localAPI.SetHub(d.hub)
	} else {
		why := errors.New("the coordinator is disabled")
		if c, ok := d.health.Report("").Components["coordinator"]; ok && c.LastError != "" {
			why = errors.New(c.LastError)
		}
		d.localAPI.SetNoHub(why)
	}
	if d.store != nil {
		if t, err := d.authTokens(); err == nil {
			d.localAPI.SetTokens(t)
		} else {
			d.log.Error("tokens unavailable to the local API", "module", "localapi", "event", "tokens_unavailable", "err", err)
		}
	}
	if c := d.chatService(); c != nil {
		d.localAPI.SetChat(localChat{c})
	}
}

// components reports /health's components to `zhub status`.
func (d *daemon) components() map[string]localapi.Component {
	rep := d.health.Report(buildVersion())
	out := make(map[string]localapi.Component, len(rep.Components))
	for name, c := range rep.Components {
		out[name] = localapi.Component{State: c.State, Error: c.LastError, Since: c.Since, Detail: maps.Clone(c.Detail)}
	}
	if gw := d.liveGateway.Load(); gw != nil {
		out["websocket"] = localapi.Component{State: ws.StateOK, Detail: map[string]any{
			"clients": gw.Connections(), "slow_clients_closed": gw.SlowClients(),
		}}
	}
	return out
}

// localChat serves `zhub chat` with the daemon's chat service (the same
// one the WebSocket gateway uses). A new exchange gets a fresh session id,
// which the answer returns so the interactive prompt can continue it.
type localChat struct{ c ws.Chat }

func (l localChat) Chat(ctx context.Context, req localapi.ChatRequest, emit func(localapi.ChatChunk) error) (string, error) {
	session := req.Conversation
	if session == "" {
		var b [8]byte
		rand.Read(b[:])
		session = "cli-" + hex.EncodeToString(b[:])
	}
	err := l.c.Chat(ctx, session, req.Text, func(ch ws.Chunk) error {
		out := localapi.ChatChunk{Text: ch.Text, Metadata: ch.Metadata}
		if ch.Image != nil {
			out.Image = &localapi.ChatImage{MIMEType: ch.Image.MIMEType, Title: ch.Image.Title, Data: ch.Image.Data}
		}
		return emit(out)
	})
	return session, err
}
