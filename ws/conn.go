package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// closeGrace is how long the writer waits, after sending a close frame,
// for the client's close frame before it drops the TCP connection.
const closeGrace = time.Second

// conn is one WebSocket client. Its reader is the HTTP handler's goroutine;
// it owns one writer goroutine and one goroutine per running request, and
// waits for all of them before it returns.
//
// Outgoing messages go through two bounded queues that only the writer
// drains: resp carries request responses (a producer waits up to
// WriteTimeout for room, so a client that sends faster than it reads is
// slowed down, then dropped), events carries subscription messages (never
// waited on: the hub's fan-out must not block, so a full queue drops the
// client). All messages of one request use one queue, so they stay in
// order.
type conn struct {
	g      *Gateway
	ws     *websocket.Conn
	id     uint64
	client string // token name
	remote string
	since  time.Time
	ctx    context.Context // cancelled when the connection closes
	cancel context.CancelCauseFunc

	resp   chan []byte
	events chan []byte

	closing    chan struct{} // closed by close
	closeOnce  sync.Once
	closeCode  int    // set before closing is closed
	closeText  string // idem
	readerDone chan struct{}
	writerDone chan struct{}

	work sync.WaitGroup // running requests

	mu     sync.Mutex
	reqs   map[string]*inflight
	subs   map[string]*subscription
	served uint64
}

// inflight is a running request; sub is set for a subscription.
type inflight struct {
	cancel context.CancelCauseFunc
	sub    *subscription
}

func newConn(g *Gateway, ctx context.Context, cancel context.CancelCauseFunc, client, remote string) *conn {
	return &conn{
		g: g, client: client, remote: remote, since: time.Now(), ctx: ctx, cancel: cancel,
		resp:       make(chan []byte, g.cfg.SendQueue),
		events:     make(chan []byte, g.cfg.SendQueue),
		closing:    make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		reqs:       map[string]*inflight{},
		subs:       map[string]*subscription{},
	}
}

// serve runs the connection until it closes.
func (c *conn) serve(wsc *websocket.Conn) {
	c.ws = wsc
	wsc.SetReadLimit(c.g.cfg.MaxMessageSize)
	log := c.g.log.With("client", c.client, "remote", c.remote, "conn", c.id)
	log.Info("client connected", "event", "ws_connected", "connections", c.g.Connections())
	go c.writeLoop()
	c.sendResp(encodeResponse(Response{RequestID: WelcomeID, Status: StatusComplete, Chunk: &Chunk{
		Text: "Connected to zhub.",
		Metadata: map[string]any{"type": "welcome", "server": "zhub", "version": c.g.cfg.Version,
			"protocol": ProtocolVersion, "client": c.client, "actions": actions},
	}}))
	c.readLoop()
	close(c.readerDone)
	<-c.writerDone
	c.work.Wait()
	c.mu.Lock()
	served := c.served
	c.mu.Unlock()
	log.Info("client disconnected", "event", "ws_disconnected", "code", c.closeCode, "reason", c.closeText,
		"requests", served, "elapsed_ms", ms(time.Since(c.since)))
}

// close starts closing the connection with a close code and reason; cause
// ends the requests' contexts. Only the first call counts; it reports
// whether it was the first. It never blocks.
func (c *conn) close(code int, text string, cause error) bool {
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.closeCode, c.closeText = code, text
		c.cancel(cause)
		close(c.closing)
	})
	return first
}

// slow drops a client that does not read its messages.
func (c *conn) slow(why string) {
	if c.close(CloseSlowClient, "client too slow: "+why, errConnClosed) {
		c.g.slowClients.Add(1)
		c.g.log.Warn("slow client disconnected", "event", "ws_slow_client", "client", c.client, "remote", c.remote,
			"conn", c.id, "reason", why)
	}
}

func (c *conn) readLoop() {
	wait := 2 * c.g.cfg.PingInterval
	_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wait)) })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wait))
		c.handle(data)
	}
}

// readFailed closes the connection for the reason the read failed.
func (c *conn) readFailed(err error) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla already sent 1009 to the client.
		if c.close(websocket.CloseMessageTooBig, "message larger than "+strconv.FormatInt(c.g.cfg.MaxMessageSize, 10)+" bytes", errConnClosed) {
			c.g.log.Warn("client message too big", "event", "ws_message_too_big", "client", c.client, "remote", c.remote,
				"conn", c.id, "limit", c.g.cfg.MaxMessageSize)
		}
	case errors.As(err, &ce):
		c.close(ce.Code, "closed by the client", errConnClosed)
	case errors.As(err, &ne) && ne.Timeout():
		c.close(websocket.CloseGoingAway, "no message or pong for "+(2*c.g.cfg.PingInterval).String(), errConnClosed)
	default:
		c.close(websocket.CloseAbnormalClosure, "connection lost", errConnClosed)
	}
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	ping := time.NewTicker(c.g.cfg.PingInterval)
	defer ping.Stop()
	for {
		var err error
		select {
		case b := <-c.resp:
			err = c.write(b)
		case b := <-c.events:
			err = c.write(b)
		case <-ping.C:
			err = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.g.cfg.WriteTimeout))
		case <-c.closing:
			c.finish()
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.slow("a write took longer than " + c.g.cfg.WriteTimeout.String())
			} else {
				c.close(websocket.CloseAbnormalClosure, "write failed", errConnClosed)
			}
		}
	}
}

func (c *conn) write(b []byte) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.g.cfg.WriteTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// finish sends the close frame, gives the client a moment to answer it,
// and drops the TCP connection (which also ends a blocked read).
func (c *conn) finish() {
	if c.closeCode != websocket.CloseAbnormalClosure {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText),
			time.Now().Add(closeGrace))
		t := time.NewTimer(closeGrace)
		select {
		case <-c.readerDone:
		case <-t.C:
		}
		t.Stop()
	}
	_ = c.ws.Close()
}

// sendResp queues a response. It waits up to WriteTimeout for room, then
// drops the client. It returns false when the message will not be sent.
func (c *conn) sendResp(b []byte) bool {
	select {
	case c.resp <- b:
		return true
	case <-c.closing:
		return false
	default:
	}
	t := time.NewTimer(c.g.cfg.WriteTimeout)
	defer t.Stop()
	select {
	case c.resp <- b:
		return true
	case <-c.closing:
		return false
	case <-t.C:
		c.slow("response queue full for " + c.g.cfg.WriteTimeout.String())
		return false
	}
}

// pushEventLocked queues a subscription message without waiting; a full
// queue drops the client. c.mu is held.
func (c *conn) pushEventLocked(b []byte) bool {
	select {
	case <-c.closing:
		return false
	default:
	}
	select {
	case c.events <- b:
		return true
	default:
		c.slow("event queue full (" + strconv.Itoa(cap(c.events)) + " messages)")
		return false
	}
}

func (c *conn) reply(id, status string, chunk *Chunk) bool {
	return c.sendResp(encodeResponse(Response{RequestID: id, Status: status, Chunk: chunk}))
}

// reject answers a request that did not start with a single error.
func (c *conn) reject(id, code, msg string) {
	c.g.log.Debug("request rejected", "event", "ws_request_rejected", "client", c.client, "conn", c.id,
		"request_id", id, "code", code)
	c.reply(id, StatusError, errorChunk(code, msg, nil))
}

// handle dispatches one client message. It runs on the reader goroutine:
// cheap actions are answered here, the rest run on their own goroutine.
func (c *conn) handle(data []byte) {
	req, code, msg := parseRequest(data)
	if code != "" {
		c.reject(req.RequestID, code, msg)
		return
	}
	switch req.Action {
	case ActionPing:
		c.reply(req.RequestID, StatusProcessing, nil)
		c.reply(req.RequestID, StatusComplete, &Chunk{Text: "pong",
			Metadata: map[string]any{"type": "pong", "time": time.Now().UTC().Format(time.RFC3339Nano)}})
	case ActionCancel:
		c.cancelRequest(req)
	case ActionSubscribe:
		c.subscribe(req)
	default:
		h, ok := handlers[req.Action]
		if !ok {
			c.reject(req.RequestID, CodeUnknownAction, fmt.Sprintf("unknown action %q (known: %v)", req.Action, actions))
			return
		}
		c.start(req, h)
	}
}

// admitLocked checks a new request id against the running ones and the
// limit. c.mu is held.
func (c *conn) admitLocked(id string) (code, msg string) {
	if _, dup := c.reqs[id]; dup {
		return CodeDuplicateID, fmt.Sprintf("request_id %q is already in use by a running request", id)
	}
	if len(c.reqs) >= c.g.cfg.MaxRequests {
		return CodeTooManyRequests, fmt.Sprintf("too many requests in flight on this connection (limit %d); wait for one to finish", c.g.cfg.MaxRequests)
	}
	return "", ""
}

// handler runs one action. emit sends a chunk; it fails once the client is
// gone or the request was cancelled.
type handler func(ctx context.Context, c *conn, payload json.RawMessage, emit func(Chunk) error) error

// start runs a request on its own goroutine.
func (c *conn) start(req Request, h handler) {
	c.mu.Lock()
	if code, msg := c.admitLocked(req.RequestID); code != "" {
		c.mu.Unlock()
		c.reject(req.RequestID, code, msg)
		return
	}
	ctx, cancel := context.WithCancelCause(c.ctx)
	c.reqs[req.RequestID] = &inflight{cancel: cancel}
	c.work.Add(1)
	c.mu.Unlock()
	go c.run(ctx, cancel, req, h)
}

func (c *conn) run(ctx context.Context, cancel context.CancelCauseFunc, req Request, h handler) {
	defer c.work.Done()
	t0 := time.Now()
	rctx, stop := context.WithTimeoutCause(ctx, c.g.cfg.RequestTimeout, errRequestTimeout)
	defer stop()
	id := req.RequestID
	c.reply(id, StatusProcessing, nil)
	emit := func(ch Chunk) error {
		if rctx.Err() != nil {
			return context.Cause(rctx)
		}
		if !c.reply(id, StatusChunk, &ch) {
			return errConnClosed
		}
		return nil
	}
	err := h(rctx, c, req.Payload, emit)
	// Forget the id before the terminal response, so the client may reuse
	// it as soon as it sees that response.
	c.mu.Lock()
	delete(c.reqs, id)
	c.served++
	c.mu.Unlock()
	cancel(nil)
	code := ""
	if err == nil {
		c.reply(id, StatusComplete, nil)
	} else {
		var extra map[string]any
		code, extra = errorCode(rctx, err)
		msg := err.Error()
		switch code {
		case CodeCancelled:
			msg = "cancelled"
		case CodeTimeout:
			msg = "request timed out after " + c.g.cfg.RequestTimeout.String()
		}
		c.reply(id, StatusError, errorChunk(code, msg, extra))
	}
	c.g.log.Debug("request done", "event", "ws_request", "client", c.client, "conn", c.id, "request_id", id,
		"action", req.Action, "code", code, "elapsed_ms", ms(time.Since(t0)))
}

// cancelRequest stops a running request: a handler sees its context end
// and the request ends with error "cancelled"; a subscription ends at
// once with the same error.
func (c *conn) cancelRequest(req Request) {
	var p struct {
		RequestID string `json:"request_id"`
	}
	if err := decodePayload(req.Payload, &p); err != nil || p.RequestID == "" {
		c.reject(req.RequestID, CodeBadPayload, `cancel needs {"request_id": "<id of the request to stop>"}`)
		return
	}
	c.reply(req.RequestID, StatusProcessing, nil)
	c.mu.Lock()
	f, ok := c.reqs[p.RequestID]
	if ok && f.sub != nil {
		delete(c.reqs, p.RequestID)
		delete(c.subs, p.RequestID)
		c.served++
		c.pushEventLocked(encodeResponse(Response{RequestID: p.RequestID, Status: StatusError,
			Chunk: errorChunk(CodeCancelled, "cancelled", nil)}))
	} else if ok {
		f.cancel(errCancelled)
	}
	c.mu.Unlock()
	if !ok {
		c.reply(req.RequestID, StatusError, errorChunk(CodeNotFound, fmt.Sprintf("no running request %q", p.RequestID), nil))
		return
	}
	c.reply(req.RequestID, StatusComplete, nil)
}

// info describes the connection for /health and Clients.
func (c *conn) info() ClientInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ClientInfo{ID: c.id, Client: c.client, Remote: c.remote, Since: c.since,
		Requests: len(c.reqs), Subscriptions: len(c.subs)}
}

// decodePayload decodes an action's payload (absent = {}), refusing
// unknown fields so a typo is an error rather than ignored.
func decodePayload(p json.RawMessage, v any) error {
	if len(p) == 0 {
		p = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return nil
}
