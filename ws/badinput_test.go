package ws_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/ws"
)

func TestBadMessages(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial(t)
	for _, tc := range []struct {
		name   string
		msg    string
		wantID string
		code   string
	}{
		{"invalid JSON", `{"action":"ping",`, "", ws.CodeBadJSON},
		{"not an object", `["ping"]`, "", ws.CodeBadJSON},
		{"empty", ``, "", ws.CodeBadJSON},
		{"unknown action", `{"action":"self_destruct","request_id":"u1"}`, "u1", ws.CodeUnknownAction},
		{"missing action", `{"request_id":"u2"}`, "u2", ws.CodeUnknownAction},
		{"missing request_id", `{"action":"ping"}`, "", ws.CodeMissingRequestID},
		{"empty request_id", `{"action":"ping","request_id":""}`, "", ws.CodeMissingRequestID},
		{"numeric request_id", `{"action":"ping","request_id":7}`, "", ws.CodeMissingRequestID},
		{"reserved request_id", `{"action":"ping","request_id":"welcome"}`, "welcome", ws.CodeBadRequestID},
		{"long request_id", `{"action":"ping","request_id":"` + strings.Repeat("x", 200) + `"}`, strings.Repeat("x", ws.MaxRequestIDLen), ws.CodeBadRequestID},
		{"payload not an object", `{"action":"chat","payload":"hi","request_id":"u3"}`, "u3", ws.CodeBadPayload},
		{"payload wrong type", `{"action":"chat","payload":{"text":5},"request_id":"u4"}`, "u4", ws.CodeBadPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.sendRaw([]byte(tc.msg))
			r := c.next()
			if r.Status == ws.StatusProcessing && r.RequestID != "" {
				// Accepted, then failed in the handler: the terminal follows.
				rs := c.until(r.RequestID)
				r = rs[len(rs)-1]
			}
			if r.RequestID != tc.wantID || r.Status != ws.StatusError || code(r) != tc.code || r.Chunk.Text == "" {
				t.Errorf("got %s, want error %s for %q", show(r), tc.code, tc.wantID)
			}
		})
	}
	// The connection still works after all that.
	if rs := c.until(c.send("ping", nil)); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("ping after bad input: %s", show(rs))
	}
}

// bystanders are clients that keep working while another misbehaves.
func bystanders(t *testing.T, s *server, n int) (check func()) {
	t.Helper()
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = s.dial(t)
		cs[i].nextOf(cs[i].send("subscribe", map[string]any{"events": []string{"state"}}))
	}
	return func() {
		t.Helper()
		for i, c := range cs {
			if rs := c.until(c.send("devices.list", nil)); rs[len(rs)-1].Status != ws.StatusComplete {
				t.Errorf("bystander %d: %s", i, show(rs))
			}
		}
	}
}

func TestTenMegabyteMessage(t *testing.T) {
	s := startServer(t, nil)
	check := bystanders(t, s, 3)
	c := s.dial(t)
	big := append(append([]byte(`{"action":"chat","request_id":"big","payload":{"text":"`), bytes.Repeat([]byte("a"), 10<<20)...), `"}}`...)
	// The server stops reading at 64 KiB and closes: the write may fail
	// midway, which is part of a clean refusal.
	werr := c.c.WriteMessage(websocket.TextMessage, big)
	_, _, err := c.c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) && !isConnReset(err) {
		t.Errorf("after a 10 MB message: read %v (write %v), want close 1009", err, werr)
	}
	waitUntil(t, "the oversized client to be dropped", func() bool { return s.gw.Connections() == 3 })
	if !strings.Contains(s.logs.String(), `"event":"ws_message_too_big"`) {
		t.Errorf("no ws_message_too_big log line")
	}
	check()
}

func isConnReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne)
}

func TestBurstOfAThousandRequests(t *testing.T) {
	s := startServer(t, nil)
	check := bystanders(t, s, 3)
	c := s.dial(t)
	const n = 1000
	var burst bytes.Buffer
	ids := map[string]bool{}
	go func() {
		// Written from another goroutine while this one reads, like a
		// client that pipelines.
		for i := range n {
			action := []string{"ping", "devices.list", "device.get"}[i%3]
			payload := `{}`
			if action == "device.get" {
				payload = `{"device":"kitchen_light"}`
			}
			c.sendRaw(fmt.Appendf(burst.Bytes()[:0], `{"action":%q,"payload":%s,"request_id":"b%d"}`, action, payload, i))
		}
	}()
	for i := range n {
		ids[fmt.Sprintf("b%d", i)] = true
	}
	terminals := map[string]string{}
	limited := 0
	for len(terminals) < n {
		r := c.next()
		if !ids[r.RequestID] {
			t.Fatalf("response for unknown id: %s", show(r))
		}
		if r.Status != ws.StatusComplete && r.Status != ws.StatusError {
			continue
		}
		if prev, dup := terminals[r.RequestID]; dup {
			t.Fatalf("second terminal for %s (first %s): %s", r.RequestID, prev, show(r))
		}
		terminals[r.RequestID] = r.Status
		if r.Status == ws.StatusError {
			if code(r) != ws.CodeTooManyRequests {
				t.Errorf("burst error %s", show(r))
			}
			limited++
		}
	}
	t.Logf("%d of %d requests refused with too_many_requests", limited, n)
	if rs := c.until(c.send("ping", nil)); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("after the burst: %s", show(rs))
	}
	check()
}

func TestClientThatNeverReads(t *testing.T) {
	s := startServer(t, func(c *ws.GatewayConfig) {
		c.SendQueue = 16
		c.WriteTimeout = 200 * time.Millisecond
	})
	check := bystanders(t, s, 3)
	lazy := s.dial(t)
	lazy.nextOf(lazy.send("subscribe", nil))
	// devices.list answers are several KiB: a few thousand fill the socket
	// buffers and then the queues. The writes stop working once the
	// server drops the client.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			_ = lazy.c.SetWriteDeadline(timeNowPlusGuard())
			if err := lazy.c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"action":"devices.list","request_id":"l%d"}`, i)); err != nil {
				return
			}
			if i > 200000 {
				t.Errorf("the server never dropped a client that does not read")
				return
			}
		}
	})
	waitUntil(t, "the slow client to be dropped", func() bool { return s.gw.SlowClients() == 1 })
	wg.Wait()
	if !strings.Contains(s.logs.String(), `"event":"ws_slow_client"`) {
		t.Errorf("no ws_slow_client log line")
	}
	check()
	waitUntil(t, "the slow client to be forgotten", func() bool { return s.gw.Connections() == 3 })
}
