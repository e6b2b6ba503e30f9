package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/ws"
)

func TestWelcome(t *testing.T) {
	s := startServer(t, nil)
	c := s.dialHeader(t, bearer(env.secret))
	w := c.next()
	if w.RequestID != "welcome" || w.Status != ws.StatusComplete || w.Chunk == nil {
		t.Fatalf("welcome %s", show(w))
	}
	md := w.Chunk.Metadata
	if md["server"] != "zhub" || md["version"] != "v-test" || md["protocol"] != float64(ws.ProtocolVersion) || md["client"] != "tester" {
		t.Errorf("welcome metadata %v", md)
	}
	acts, _ := md["actions"].([]any)
	if len(acts) != 8 {
		t.Errorf("welcome actions %v", acts)
	}
}

func TestChatStreams(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	rich := ws.ChatFunc(func(ctx context.Context, session, text string, emit func(ws.Chunk) error) error {
		for _, ch := range []ws.Chunk{
			{Text: "You said: "}, {Text: text},
			{Metadata: map[string]any{"type": "device_state", "device": "kitchen_light", "state": map[string]any{"brightness": 76}, "summary": "kitchen_light → brightness 76"}},
			{Image: &ws.Image{MIMEType: "image/svg+xml", Title: "chart", Data: svg}},
			{Text: " (session " + session + ")"},
		} {
			if err := emit(ch); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		name    string
		chat    ws.Chat
		payload map[string]any
		check   func(t *testing.T, text string, chunks []ws.Chunk)
	}{
		{"no model", nil, map[string]any{"text": "turn off the kitchen light"}, func(t *testing.T, text string, chunks []ws.Chunk) {
			if text != ws.NoModelText || len(chunks) < 2 {
				t.Errorf("%d chunks, text %q", len(chunks), text)
			}
		}},
		{"text, metadata and image", rich, map[string]any{"text": "hello", "session": "s1"}, func(t *testing.T, text string, chunks []ws.Chunk) {
			if text != "You said: hello (session tester/s1)" {
				t.Errorf("text %q", text)
			}
			var img *ws.Image
			var md map[string]any
			for _, c := range chunks {
				if c.Image != nil {
					img = c.Image
				}
				if c.Metadata != nil {
					md = c.Metadata
				}
			}
			if img == nil || img.MIMEType != "image/svg+xml" || string(img.Data) != string(svg) {
				t.Errorf("image chunk %+v", img)
			}
			if md["summary"] != "kitchen_light → brightness 76" {
				t.Errorf("metadata chunk %v", md)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, func(c *ws.GatewayConfig) { c.Chat = tc.chat })
			c := s.dial(t)
			id := c.send("chat", tc.payload)
			end, chunks := checkSequence(t, c.until(id))
			if end.Status != ws.StatusComplete || len(chunks) == 0 {
				t.Fatalf("end %s after %d chunks", show(end), len(chunks))
			}
			var text strings.Builder
			for _, ch := range chunks {
				text.WriteString(ch.Text)
			}
			tc.check(t, text.String(), chunks)
		})
	}
}

func TestChatFailure(t *testing.T) {
	s := startServer(t, func(c *ws.GatewayConfig) {
		c.Chat = ws.ChatFunc(func(ctx context.Context, _, _ string, emit func(ws.Chunk) error) error {
			if err := emit(ws.Chunk{Text: "partial"}); err != nil {
				return err
			}
			return errors.New("provider: rate limited")
		})
	})
	c := s.dial(t)
	end, chunks := checkSequence(t, c.until(c.send("chat", map[string]any{"text": "x"})))
	if end.Status != ws.StatusError || code(end) != ws.CodeChatFailed || !strings.Contains(end.Chunk.Text, "rate limited") || len(chunks) != 1 {
		t.Errorf("end %s, %d chunks", show(end), len(chunks))
	}
}

// lightState reads the virtual light's own state from the emulated network.
func lightState(t *testing.T) (on bool, level uint8) {
	t.Helper()
	info, err := env.net.Device(t.Context(), kitchenIEEE)
	if err != nil {
		t.Fatal(err)
	}
	return info.OnOff, info.Level
}

func TestDeviceSetChangesTheVirtualLight(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial(t)
	for _, tc := range []struct {
		name      string
		state     map[string]any
		wantOn    bool
		wantLevel uint8
	}{
		{"on at 200", map[string]any{"state": "ON", "brightness": 200}, true, 200},
		{"dim to 76", map[string]any{"brightness": 76}, true, 76},
		{"off", map[string]any{"state": "OFF"}, false, 76},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end, chunks := checkSequence(t, c.until(c.send("device.set", map[string]any{"device": "kitchen_light", "state": tc.state})))
			if end.Status != ws.StatusComplete || len(chunks) != 1 {
				t.Fatalf("end %s, chunks %s", show(end), show(chunks))
			}
			md := chunks[0].Metadata
			if md["type"] != "device_state" || md["device"] != "kitchen_light" || md["confirmed"] != true {
				t.Errorf("chunk metadata %v", md)
			}
			if !strings.HasPrefix(chunks[0].Text, "kitchen_light → ") {
				t.Errorf("summary %q", chunks[0].Text)
			}
			on, level := lightState(t)
			if on != tc.wantOn || level != tc.wantLevel {
				t.Errorf("virtual light on=%v level=%d, want on=%v level=%d", on, level, tc.wantOn, tc.wantLevel)
			}
		})
	}
}

func TestDeviceErrors(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial(t)
	for _, tc := range []struct {
		name, action string
		payload      any
		code         string
	}{
		{"unknown device with suggestion", "device.set", map[string]any{"device": "kitchen_lihgt", "state": map[string]any{"state": "ON"}}, ws.CodeUnknownDevice},
		{"unknown property", "device.set", map[string]any{"device": "kitchen_light", "state": map[string]any{"warp": 9}}, ws.CodeUnknownProperty},
		{"out of range", "device.set", map[string]any{"device": "kitchen_light", "state": map[string]any{"brightness": 9000}}, ws.CodeOutOfRange},
		{"invalid value", "device.set", map[string]any{"device": "kitchen_light", "state": map[string]any{"state": "MAYBE"}}, ws.CodeInvalidValue},
		{"read-only", "device.set", map[string]any{"device": "bedroom_sensor", "state": map[string]any{"temperature": 3}}, ws.CodeReadOnly},
		{"set without state", "device.set", map[string]any{"device": "kitchen_light"}, ws.CodeBadPayload},
		{"unknown payload field", "device.set", map[string]any{"devise": "kitchen_light", "state": map[string]any{"state": "ON"}}, ws.CodeBadPayload},
		{"get unknown device", "device.get", map[string]any{"device": "nope"}, ws.CodeUnknownDevice},
		{"get without device", "device.get", map[string]any{}, ws.CodeBadPayload},
		{"permit join too long", "permit_join", map[string]any{"duration": 1000}, ws.CodeBadPayload},
		{"chat without text", "chat", map[string]any{"text": "  "}, ws.CodeBadPayload},
		{"subscribe to unknown kind", "subscribe", map[string]any{"events": []string{"weather"}}, ws.CodeBadPayload},
		{"cancel without target", "cancel", map[string]any{}, ws.CodeBadPayload},
		{"cancel of nothing", "cancel", map[string]any{"request_id": "never-sent"}, ws.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := c.until(c.send(tc.action, tc.payload))
			end := rs[len(rs)-1]
			if end.Status != ws.StatusError || code(end) != tc.code || end.Chunk.Text == "" {
				t.Fatalf("responses %s, want error %s", show(rs), tc.code)
			}
			if tc.code == ws.CodeUnknownDevice && tc.action == "device.set" && end.Chunk.Metadata["suggestion"] != "kitchen_light" {
				t.Errorf("no suggestion in %s", show(end))
			}
		})
	}
}

func TestDevicesListAndGet(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial(t)
	_, chunks := checkSequence(t, c.until(c.send("devices.list", nil)))
	var list struct {
		Devices []struct {
			FriendlyName string `json:"friendly_name"`
			Definition   struct {
				Exposes []any `json:"exposes"`
			} `json:"definition"`
		} `json:"devices"`
	}
	b, _ := json.Marshal(chunks[0].Metadata)
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range list.Devices {
		names[d.FriendlyName] = true
		if d.FriendlyName == "kitchen_light" && len(d.Definition.Exposes) == 0 {
			t.Errorf("kitchen_light has no exposes")
		}
	}
	for _, n := range []string{"kitchen_light", "living_room_lamp", "bedroom_sensor"} {
		if !names[n] {
			t.Errorf("devices.list lacks %s: %v", n, names)
		}
	}
	end, chunks := checkSequence(t, c.until(c.send("device.get", map[string]any{"device": "kitchen_light"})))
	if end.Status != ws.StatusComplete || chunks[0].Metadata["type"] != "device" {
		t.Errorf("device.get: %s", show(chunks))
	}
	end, chunks = checkSequence(t, c.until(c.send("device.get", map[string]any{"device": "kitchen_light", "properties": []string{"brightness"}})))
	if end.Status != ws.StatusComplete || chunks[0].Metadata["type"] != "device_state" {
		t.Fatalf("device.get properties: %s %s", show(end), show(chunks))
	}
	if st, _ := chunks[0].Metadata["state"].(map[string]any); st["brightness"] == nil {
		t.Errorf("device.get properties: %s", show(chunks))
	}
}

func TestSubscribeSeesAnotherClientsChange(t *testing.T) {
	s := startServer(t, nil)
	watcher := s.dial(t)
	others := s.dial(t) // subscribed to another device only: must not see it
	actor := s.dial(t)
	sub := watcher.send("subscribe", map[string]any{"events": []string{"state"}, "devices": []string{"kitchen_light"}})
	if r := watcher.nextOf(sub); r.Status != ws.StatusProcessing {
		t.Fatalf("subscribe: %s", show(r))
	}
	osub := others.send("subscribe", map[string]any{"events": []string{"state"}, "devices": []string{"living_room_lamp"}})
	if r := others.nextOf(osub); r.Status != ws.StatusProcessing {
		t.Fatalf("subscribe: %s", show(r))
	}
	for _, want := range []string{"ON", "OFF"} {
		end, _ := checkSequence(t, actor.until(actor.send("device.set", map[string]any{"device": "kitchen_light", "state": map[string]any{"state": want}})))
		if end.Status != ws.StatusComplete {
			t.Fatalf("set: %s", show(end))
		}
		for {
			r := watcher.nextOf(sub)
			if r.Status != ws.StatusChunk {
				t.Fatalf("subscription ended: %s", show(r))
			}
			md := r.Chunk.Metadata
			if md["type"] != "device_state" || md["device"] != "kitchen_light" {
				t.Fatalf("event %s", show(r))
			}
			if st, _ := md["state"].(map[string]any); st["state"] == want {
				break
			}
		}
	}
	// The other subscriber saw nothing of kitchen_light: its next message is
	// the answer to a ping.
	p := others.send("ping", nil)
	if r := others.next(); r.RequestID != p {
		t.Errorf("filtered subscriber got %s", show(r))
	}
	// Cancelling the subscription ends it with one terminal response.
	cid := watcher.send("cancel", map[string]any{"request_id": sub})
	if rs := watcher.until(cid); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("cancel: %s", show(rs))
	}
	for {
		r := watcher.nextOf(sub)
		if r.Status == ws.StatusChunk {
			continue // an event queued before the cancel
		}
		if r.Status != ws.StatusError || code(r) != ws.CodeCancelled {
			t.Errorf("subscription end %s", show(r))
		}
		break
	}
}

// blockingChat streams one chunk, then waits for its context.
func blockingChat(started chan<- struct{}) ws.Chat {
	return ws.ChatFunc(func(ctx context.Context, _, _ string, emit func(ws.Chunk) error) error {
		if err := emit(ws.Chunk{Text: "thinking"}); err != nil {
			return err
		}
		if started != nil {
			started <- struct{}{}
		}
		<-ctx.Done()
		return ctx.Err()
	})
}

func TestCancelStopsARunningRequest(t *testing.T) {
	started := make(chan struct{}, 1)
	s := startServer(t, func(c *ws.GatewayConfig) { c.Chat = blockingChat(started) })
	c := s.dial(t)
	id := c.send("chat", map[string]any{"text": "think hard"})
	if r := c.nextOf(id); r.Status != ws.StatusProcessing {
		t.Fatalf("%s", show(r))
	}
	if r := c.nextOf(id); r.Status != ws.StatusChunk {
		t.Fatalf("%s", show(r))
	}
	<-started
	cid := c.send("cancel", map[string]any{"request_id": id})
	end := c.until(id)
	if last := end[len(end)-1]; last.Status != ws.StatusError || code(last) != ws.CodeCancelled {
		t.Errorf("cancelled request ended with %s", show(end))
	}
	if rs := c.until(cid); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("cancel answered %s", show(rs))
	}
	// The id is free again.
	c.sendID(id, "ping", nil)
	if rs := c.until(id); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("reused id: %s", show(rs))
	}
}

func TestRequestTimeout(t *testing.T) {
	s := startServer(t, func(c *ws.GatewayConfig) {
		c.Chat = blockingChat(nil)
		c.RequestTimeout = 50 * time.Millisecond
	})
	c := s.dial(t)
	end, _ := checkSequence(t, c.until(c.send("chat", map[string]any{"text": "x"})))
	if end.Status != ws.StatusError || code(end) != ws.CodeTimeout {
		t.Errorf("end %s", show(end))
	}
}

func TestConcurrentRequestLimit(t *testing.T) {
	started := make(chan struct{}, 2)
	s := startServer(t, func(c *ws.GatewayConfig) {
		c.Chat = blockingChat(started)
		c.MaxRequests = 2
	})
	c := s.dial(t)
	a := c.send("chat", map[string]any{"text": "a"})
	b := c.send("chat", map[string]any{"text": "b"})
	<-started
	<-started
	third := c.until(c.send("chat", map[string]any{"text": "c"}))
	if len(third) != 1 || code(third[0]) != ws.CodeTooManyRequests {
		t.Errorf("third request: %s", show(third))
	}
	dup := c.until(func() string { c.sendID(a, "devices.list", nil); return a }())
	// The duplicate's rejection arrives before a's own end (a still runs).
	if code(dup[len(dup)-1]) != ws.CodeDuplicateID {
		t.Errorf("duplicate id: %s", show(dup))
	}
	// ping is answered by the reader and is not limited.
	if rs := c.until(c.send("ping", nil)); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("ping: %s", show(rs))
	}
	for _, id := range []string{a, b} {
		c.sendID("cancel-"+id, "cancel", map[string]any{"request_id": id})
		c.until("cancel-" + id)
		if rs := c.until(id); code(rs[len(rs)-1]) != ws.CodeCancelled {
			t.Errorf("%s: %s", id, show(rs))
		}
	}
}

func TestShutdownClosesWith1001(t *testing.T) {
	s := startServer(t, func(c *ws.GatewayConfig) { c.Chat = blockingChat(nil) })
	clients := []*client{s.dial(t), s.dial(t), s.dial(t)}
	clients[0].send("chat", map[string]any{"text": "a long one"})
	clients[1].send("subscribe", nil)
	errs := make(chan error, len(clients))
	for _, c := range clients {
		go func() {
			var err error
			for err == nil {
				_, _, err = c.c.ReadMessage()
			}
			errs <- err
		}()
	}
	s.stop()
	for range clients {
		if err := <-errs; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("client: %v, want close 1001", err)
		}
	}
	if n := s.gw.Connections(); n != 0 {
		t.Errorf("%d connections after shutdown", n)
	}
}

func TestClientsAreTracked(t *testing.T) {
	s := startServer(t, nil)
	a, b := s.dial(t), s.dial(t)
	a.nextOf(a.send("subscribe", nil))
	b.until(b.send("ping", nil))
	cl := s.gw.Clients()
	if len(cl) != 2 || cl[0].Client != "tester" || cl[0].Remote == "" || cl[0].Since.IsZero() || cl[0].ID >= cl[1].ID ||
		cl[0].Subscriptions != 1 || cl[0].Requests != 1 || cl[1].Requests != 0 {
		t.Errorf("clients %+v", cl)
	}
	_ = a.c.Close()
	waitUntil(t, "the closed client to be forgotten", func() bool { return s.gw.Connections() == 1 })
}
