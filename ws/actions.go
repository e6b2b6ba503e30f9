package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhubhq/zhub/hub"
)

// MaxChatText bounds a chat message (in bytes).
const MaxChatText = 8 << 10

// MaxPermitJoin is the longest permit_join duration in seconds (Zigbee's
// limit for one permit-join window).
const MaxPermitJoin = 254

// handlers are the actions that run on their own goroutine. ping, cancel
// and subscribe are handled by the reader itself (conn.handle).
var handlers = map[string]handler{
	ActionChat:       handleChat,
	ActionDevices:    handleDevices,
	ActionDeviceGet:  handleDeviceGet,
	ActionDeviceSet:  handleDeviceSet,
	ActionPermitJoin: handlePermitJoin,
}

func badPayload(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPayload, fmt.Sprintf(format, args...))
}

// handleChat streams the chat service's answer.
func handleChat(ctx context.Context, c *conn, payload json.RawMessage, emit func(Chunk) error) error {
	var p struct {
		Text    string `json:"text"`
		Session string `json:"session"`
	}
	if err := decodePayload(payload, &p); err != nil {
		return err
	}
	p.Text = strings.TrimSpace(p.Text)
	switch {
	case p.Text == "":
		return badPayload(`chat needs {"text": "<what to do>"}`)
	case len(p.Text) > MaxChatText:
		return badPayload("chat text is longer than %d bytes", MaxChatText)
	case !utf8.ValidString(p.Text):
		return badPayload("chat text is not valid UTF-8")
	case len(p.Session) > MaxRequestIDLen:
		return badPayload("session is longer than %d bytes", MaxRequestIDLen)
	}
	// Sessions are per token: one client cannot continue another's
	// conversation by guessing its name.
	session := fmt.Sprintf("%s/conn-%d", c.client, c.id)
	if p.Session != "" {
		session = c.client + "/" + p.Session
	}
	if err := c.g.chat.Chat(ctx, session, p.Text, emit); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &chatError{err: err}
	}
	return nil
}

// chatError marks a failure of the chat service (code chat_failed).
type chatError struct{ err error }

func (e *chatError) Error() string { return "chat: " + e.err.Error() }
func (e *chatError) Unwrap() error { return e.err }

// handleDevices sends every device in one chunk.
func handleDevices(_ context.Context, c *conn, payload json.RawMessage, emit func(Chunk) error) error {
	if err := decodePayload(payload, &struct{}{}); err != nil {
		return err
	}
	devs := c.g.cfg.Hub.Devices()
	slices.SortFunc(devs, func(a, b hub.Device) int { return strings.Compare(a.FriendlyName, b.FriendlyName) })
	return emit(Chunk{Metadata: map[string]any{"type": "devices", "devices": devs}})
}

// handleDeviceGet sends one device, or reads some of its properties from
// the device itself.
func handleDeviceGet(ctx context.Context, c *conn, payload json.RawMessage, emit func(Chunk) error) error {
	var p struct {
		Device     string   `json:"device"`
		Properties []string `json:"properties"`
	}
	if err := decodePayload(payload, &p); err != nil {
		return err
	}
	if p.Device == "" {
		return badPayload(`device.get needs {"device": "<friendly name or IEEE address>"}`)
	}
	if len(p.Properties) == 0 {
		d, err := c.g.cfg.Hub.Device(p.Device)
		if err != nil {
			return err
		}
		return emit(Chunk{Metadata: map[string]any{"type": "device", "device": d}})
	}
	vals, err := c.g.cfg.Hub.Get(ctx, p.Device, p.Properties...)
	if err != nil {
		return err
	}
	return emit(Chunk{Metadata: map[string]any{"type": "device_state", "device": p.Device, "state": vals, "confirmed": true}})
}

// handleDeviceSet changes properties and sends the state the device
// reported back.
func handleDeviceSet(ctx context.Context, c *conn, payload json.RawMessage, emit func(Chunk) error) error {
	var p struct {
		Device string         `json:"device"`
		State  map[string]any `json:"state"`
	}
	if err := decodePayload(payload, &p); err != nil {
		return err
	}
	if p.Device == "" || len(p.State) == 0 {
		return badPayload(`device.set needs {"device": "<name>", "state": {"<property>": <value>, ...}}`)
	}
	got, err := c.g.cfg.Hub.Set(ctx, p.Device, p.State)
	if err != nil {
		return err
	}
	return emit(Chunk{Text: stateSummary(p.Device, got), Metadata: map[string]any{
		"type": "device_state", "device": p.Device, "state": got, "confirmed": true, "summary": stateSummary(p.Device, got)}})
}

// stateSummary is a one-line human confirmation: "kitchen_light → state ON, brightness 76".
func stateSummary(device string, state map[string]any) string {
	keys := make([]string, 0, len(state))
	for k := range state {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if oa, ob := summaryOrder(a), summaryOrder(b); oa != ob {
			return oa - ob
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, _ := json.Marshal(state[k])
		parts = append(parts, k+" "+strings.Trim(string(v), `"`))
	}
	return device + " → " + strings.Join(parts, ", ")
}

func summaryOrder(k string) int {
	if i := slices.Index([]string{"state", "brightness", "color_temp", "color"}, k); i >= 0 {
		return i
	}
	return 10
}

// handlePermitJoin opens (or with duration 0 closes) the network for
// joining. Join and interview progress arrive on "pairing" subscriptions.
func handlePermitJoin(ctx context.Context, c *conn, payload json.RawMessage, emit func(Chunk) error) error {
	p := struct {
		Duration *int   `json:"duration"`
		Via      string `json:"via"`
	}{}
	if err := decodePayload(payload, &p); err != nil {
		return err
	}
	d := 120
	if p.Duration != nil {
		d = *p.Duration
	}
	if d < 0 || d > MaxPermitJoin {
		return badPayload("duration must be 0 (close) to %d seconds, not %d", MaxPermitJoin, d)
	}
	if err := c.g.cfg.Hub.PermitJoin(ctx, time.Duration(d)*time.Second, p.Via); err != nil {
		return err
	}
	md := map[string]any{"type": "permit_join", "open": d > 0, "duration": d, "via": p.Via}
	text := "Joining closed."
	if d > 0 {
		md["until"] = time.Now().Add(time.Duration(d) * time.Second).UTC().Format(time.RFC3339)
		text = fmt.Sprintf("Joining open for %d s: put the device in pairing mode now.", d)
	}
	return emit(Chunk{Text: text, Metadata: md})
}
