package main

// The MCP device context in the daemon (package mcp), persisted through
// mcp/mcpstore: the in-memory session the chat loop uses (mcpTools, an
// llm.ToolSet), /mcp on the HTTP server, the socket endpoints, and
// `zhub mcp`.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/mcp/mcpstore"
	"github.com/zhubhq/zhub/ws"
)

// startMCP builds the device context on the hub and runs it under g. The
// chat's in-memory session and the context API on the socket exist
// whenever the hub does; /mcp on the HTTP server and the socket's MCP
// endpoints (for `zhub mcp`) only with mcp.enabled.
func (d *daemon) startMCP(ctx context.Context, g *errgroup.Group) error {
	log := d.log.With("module", "mcp")
	if d.hub == nil {
		d.health.Set("mcp", ws.StateDisabled, errors.New("no hub (coordinator disabled)"))
		return nil
	}
	srv, err := mcp.New(mcp.Config{Hub: d.hub, Contexts: mcpstore.Store{S: d.store}, GuardedTools: d.cfg.MCP.GuardedTools,
		Version: buildVersion(), Logger: log})
	if err != nil {
		return err
	}
	d.mcp = srv
	g.Go(func() error { return srv.Run(ctx) })
	if d.localAPI != nil {
		ch := srv.ContextHandler()
		d.localAPI.Mount(mcp.ContextPath, ch)
		d.localAPI.Mount(mcp.ContextPath+"/", ch)
	}
	if !d.cfg.MCP.Enabled {
		d.health.Set("mcp", ws.StateDisabled, errors.New("mcp.enabled is false: only the built-in chat uses the tools"))
		log.Info("MCP for external clients off (mcp.enabled = false)", "event", "component_disabled", "component", "mcp")
		return nil
	}
	var on []string
	if d.localAPI != nil {
		lh := srv.LocalHandler()
		d.localAPI.Mount(mcp.LocalPath, lh)
		d.localAPI.Mount(mcp.StdioPath, lh)
		on = append(on, "unix "+d.cfg.SocketPath()+" (zhub mcp)")
	}
	if d.http != nil {
		tokens, err := d.authTokens()
		if err != nil {
			return err
		}
		h, err := srv.Handler(mcp.HTTPConfig{Tokens: tokens, AllowedOrigins: d.cfg.HTTP.AllowedOrigins})
		if err != nil {
			return err
		}
		d.http.Handle(mcp.LocalPath, h)
		g.Go(func() error {
			<-ctx.Done()
			h.Close()
			return nil
		})
		on = append(on, "http://"+d.http.Addr().String()+mcp.LocalPath)
	}
	d.health.Set("mcp", ws.StateOK, nil)
	d.health.SetDetail("mcp", "guarded_tools", len(d.cfg.MCP.GuardedTools))
	log.Info("MCP ready", "event", "component_ready", "component", "mcp", "on", on, "guarded_tools", d.cfg.MCP.GuardedTools)
	return nil
}

// chatTools is the chat loop's tool set: an in-memory MCP session on the
// device context, opened on first use (nil without a hub). The loop sees
// exactly the MCP tool list and is held to the same rules.
func (d *daemon) chatTools() llm.ToolSet {
	if d.mcp == nil {
		return nil
	}
	return &mcpTools{srv: d.mcp}
}

// chatSystemPrompt is the chat's system prompt, from the device context.
func (d *daemon) chatSystemPrompt(ctx context.Context, _ []llm.Tool) (string, error) {
	if d.mcp == nil {
		return "", nil
	}
	return d.mcp.SystemPrompt(ctx), nil
}

// mcpTools adapts an in-memory MCP client session to llm.ToolSet.
type mcpTools struct {
	srv *mcp.Server

	mu    sync.Mutex
	local *mcp.Local
}

var _ llm.ToolSet = (*mcpTools)(nil)

func (m *mcpTools) session(ctx context.Context) (*mcp.Local, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.local == nil {
		l, err := m.srv.Connect(context.WithoutCancel(ctx), mcp.LocalOptions{Client: "zhub-chat"})
		if err != nil {
			return nil, err
		}
		m.local = l
	}
	return m.local, nil
}

// Close ends the session.
func (m *mcpTools) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.local == nil {
		return nil
	}
	err := m.local.Close()
	m.local = nil
	return err
}

func (m *mcpTools) List(ctx context.Context) ([]llm.Tool, error) {
	l, err := m.session(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := l.Tools(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]llm.Tool, len(ts))
	for i, t := range ts {
		out[i] = llm.Tool{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema}
	}
	return out, nil
}

func (m *mcpTools) Call(ctx context.Context, name string, args json.RawMessage) (llm.ToolResult, error) {
	l, err := m.session(ctx)
	if err != nil {
		return llm.ToolResult{}, err
	}
	res, err := l.Call(ctx, name, args)
	if err != nil {
		return llm.ToolResult{}, err
	}
	out := llm.ToolResult{Text: res.Text, Structured: res.Structured, IsError: res.IsError}
	if res.IsError || res.Structured == nil {
		return out, nil
	}
	switch name {
	case mcp.ToolSetDevice:
		var r mcp.SetResult
		if json.Unmarshal(res.Structured, &r) == nil && r.Device != "" {
			out.Metadata = map[string]any{"device": r.Device, "state": r.State}
		}
	case mcp.ToolGetHistory:
		out.Chart = historyChart(res.Structured)
	}
	return out, nil
}

// historyChart draws a numeric history (nil for text values or no points).
func historyChart(structured json.RawMessage) *llm.Chart {
	var h mcp.History
	if json.Unmarshal(structured, &h) != nil || len(h.Points) < 2 {
		return nil
	}
	c := &llm.Chart{Title: h.Device + " " + h.Property}
	for _, p := range h.Points {
		v, ok := p.Value.(float64)
		t, err := time.Parse(time.RFC3339Nano, p.At)
		if !ok || err != nil || math.IsNaN(v) {
			return nil
		}
		c.Points = append(c.Points, llm.Point{T: t, V: v})
	}
	return c
}

const mcpSynopsis = "zhub mcp [--socket PATH] [--config FILE]"

// runMCP is `zhub mcp`: an MCP server on stdin and stdout for desktop
// assistants ({"command":"zhub","args":["mcp"]}), bridged to the running
// daemon over its local API socket, so the tools, the device context and
// its rules are the daemon's. Nothing but MCP goes to stdout; errors go to
// stderr.
func runMCP(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub mcp", mcpSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, mcpSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	socket := c.socketPath()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "unix", socket)
	if err != nil {
		return c.fail(socketError(socket, err))
	}
	err = mcp.Bridge(ctx, conn, stdin, stdout)
	if ae, ok := errors.AsType[*mcp.ContextAPIError](err); ok && ae.Status == 404 {
		err = errors.New("the daemon does not serve MCP on its socket: set mcp.enabled = true (ZHUB_MCP_ENABLED=true) and restart it")
	}
	if errors.Is(err, context.Canceled) {
		return exitOK
	}
	return c.fail(err)
}

// socketError classifies a failed dial as the local API client does, so
// the CLI says what to do.
func socketError(socket string, err error) error {
	var op *net.OpError
	cause := err
	if errors.As(err, &op) && op.Err != nil {
		cause = op.Err
	}
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTSOCK):
		return &localapi.ConnectError{Socket: socket, Err: localapi.ErrNotRunning, Cause: cause}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return &localapi.ConnectError{Socket: socket, Err: localapi.ErrPermission, Cause: cause}
	}
	return err
}
