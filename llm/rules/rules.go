package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/zhubhq/zhub/llm"
)

// Tool names the grammar calls.
const (
	ToolListDevices = "list_devices"
	ToolGetDevice   = "get_device"
	ToolSetDevice   = "set_device"
	ToolGetHistory  = "get_history"
	ToolListRooms   = "list_rooms"
	ToolPermitJoin  = "permit_join"
)

// maxCalls bounds the calls one clause may make (e.g. "what is on" without
// states in the device list).
const maxCalls = 16

// Config configures a Provider. The zero value is ready to use.
type Config struct {
	// Devices, if set, supplies the device context instead of a
	// list_devices tool call.
	Devices func(ctx context.Context) ([]DeviceInfo, error)
	// Now is the clock for history periods (default time.Now).
	Now func() time.Time
}

// Provider is the offline grammar. See the package documentation.
type Provider struct{ cfg Config }

var _ llm.Provider = (*Provider)(nil)

// New returns a Provider. It does no I/O.
func New(cfg Config) *Provider {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return "rules" }

// Stream implements llm.Provider: it yields either tool calls (and Done
// with StopToolUse) or the answer text (and Done with StopEnd).
func (p *Provider) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		calls, text := p.Next(ctx, req)
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		if len(calls) > 0 {
			for _, c := range calls {
				if !yield(c, nil) {
					return
				}
			}
			yield(llm.Done{Reason: llm.StopToolUse, Raw: "tool_use"}, nil)
			return
		}
		for i, s := range splitSentences(text) {
			if i > 0 {
				s = " " + s
			}
			if !yield(llm.TextDelta{Text: s}, nil) {
				return
			}
		}
		yield(llm.Done{Reason: llm.StopEnd, Raw: "end_turn"}, nil)
	}
}

// turn is what the provider knows about the current request.
type turn struct {
	req     llm.Request
	user    int                    // index of the last user message
	made    []llm.ToolCall         // calls made since, in order
	results map[string]llm.Message // tool results by call id
	tools   map[string]bool
}

// Next decides the next step for req: tool calls to make, or else the
// answer text. It is Stream without the events, for tests and benchmarks.
func (p *Provider) Next(ctx context.Context, req llm.Request) ([]llm.ToolCall, string) {
	t := turn{req: req, user: llm.LastUser(req.Messages), results: map[string]llm.Message{}, tools: map[string]bool{}}
	for _, tool := range req.Tools {
		t.tools[tool.Name] = true
	}
	if t.user < 0 {
		return nil, helpText
	}
	for _, m := range req.Messages[t.user+1:] {
		switch m.Role {
		case llm.RoleAssistant:
			t.made = append(t.made, m.ToolCalls...)
		case llm.RoleTool:
			t.results[m.ToolCallID] = m
		}
	}
	now := p.cfg.Now()
	text := req.Messages[t.user].Text

	// The device context: from Config, from this turn's list_devices
	// result, or by asking for it.
	var devs []DeviceInfo
	haveDevs := false
	if p.cfg.Devices != nil {
		d, err := p.cfg.Devices(ctx)
		if err != nil {
			return nil, "I couldn't read the device list: " + err.Error() + "."
		}
		devs, haveDevs = slices.Clone(d), true // indexed below: never touch the caller's slice
	} else if id, ok := t.listCall(); ok {
		res, ok := t.results[id]
		if !ok {
			return nil, "I couldn't read the device list."
		}
		if res.IsError {
			return nil, "I couldn't read the device list: " + strings.TrimPrefix(res.Text, "error: ") + "."
		}
		d, err := parseDevices(res.Text)
		if err != nil {
			return nil, "I couldn't read the device list."
		}
		devs, haveDevs = d, true
	}
	if !haveDevs {
		clauses := parse(text, nil, now)
		if slices.ContainsFunc(clauses, func(c clause) bool { return needsDevices(c.kind) }) {
			if !t.tools[ToolListDevices] {
				return nil, "I can't see your devices here: the list_devices tool isn't available to this chat."
			}
			return []llm.ToolCall{{ID: fmt.Sprintf("rules_%d_devices", t.user), Name: ToolListDevices, Arguments: json.RawMessage("{}")}}, ""
		}
	}

	vocab := map[string]bool{}
	for i := range devs {
		for _, n := range nameWords(&devs[i]) {
			for _, w := range n {
				vocab[w] = true
			}
		}
		for _, w := range words(devs[i].Room) {
			vocab[w] = true
		}
	}
	clauses := parse(text, vocab, now)
	prev := previousDevices(req.Messages[:t.user], devs)
	steps := make([]step, len(clauses))
	var calls []llm.ToolCall
	for i, c := range clauses {
		if i > 0 && len(steps[i-1].devs) > 0 && c.pronoun && len(c.words) == 0 {
			prev = steps[i-1].devs // "turn on the light and set it to 20%"
		}
		steps[i] = plan(c, devs, prev, t.tools)
		for j := range steps[i].calls {
			steps[i].calls[j].ID = fmt.Sprintf("rules_%d_%d_%d", t.user, i, j+1)
		}
		calls = append(calls, steps[i].calls...)
	}
	if len(calls) > 0 && !t.acted() {
		return calls, ""
	}
	var out []string
	for i := range steps {
		if s := steps[i].answer(&t); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, helpText
	}
	return nil, strings.Join(out, " ")
}

func needsDevices(k kind) bool {
	switch k {
	case kindPair, kindPermitJoin, kindHelp, kindListRooms:
		return false
	}
	return true
}

// listCall returns the id of this turn's list_devices call.
func (t *turn) listCall() (string, bool) {
	for _, c := range t.made {
		if c.Name == ToolListDevices {
			return c.ID, true
		}
	}
	return "", false
}

// acted reports whether this turn already made its action calls.
func (t *turn) acted() bool {
	return slices.ContainsFunc(t.made, func(c llm.ToolCall) bool { return c.Name != ToolListDevices })
}

// previousDevices returns the devices named by the last earlier assistant
// turn that called get_device or set_device ("turn it off").
func previousDevices(msgs []llm.Message, devs []DeviceInfo) []*DeviceInfo {
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Role != llm.RoleAssistant {
			continue
		}
		var out []*DeviceInfo
		for _, c := range m.ToolCalls {
			if c.Name != ToolSetDevice && c.Name != ToolGetDevice && c.Name != ToolGetHistory {
				continue
			}
			var a struct {
				Device string `json:"device"`
			}
			if json.Unmarshal(c.Arguments, &a) != nil {
				continue
			}
			for j := range devs {
				if devs[j].Name == a.Device && !slices.Contains(out, &devs[j]) {
					out = append(out, &devs[j])
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// splitSentences cuts text after ". ", "? " and "! " so the answer streams
// as a few deltas.
func splitSentences(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexAny(text, ".?!")
		for i >= 0 && i+1 < len(text) && text[i+1] != ' ' {
			j := strings.IndexAny(text[i+1:], ".?!")
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 || i+1 >= len(text) {
			out = append(out, text)
			break
		}
		out = append(out, text[:i+1])
		text = strings.TrimLeft(text[i+1:], " ")
	}
	return out
}

const helpText = "I can switch devices on and off, dim lights and set their colour, read sensors, " +
	"show how a value changed, and list your devices and rooms. " +
	"Try \"dim the kitchen light to 30%\", \"is the front door open?\" or \"what is on?\"."

const pairText = "To pair a new device, reset it into pairing mode (usually a long press of its button, " +
	"or switching it on and off five times), then open the network for joining: run \"zhub pair\" on the hub, " +
	"or use the web interface. It will appear in \"list devices\" once its interview finishes."
