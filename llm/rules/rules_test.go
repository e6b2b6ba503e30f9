package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/rules"
)

func direct() *rules.Provider {
	devs := homeDevices()
	return rules.New(rules.Config{
		Devices: func(context.Context) ([]rules.DeviceInfo, error) { return devs, nil },
		Now:     func() time.Time { return testNow },
	})
}

func allTools() []llm.Tool {
	return append(llmtest.DeviceTools(), llm.Tool{Name: "permit_join"})
}

func TestPhrasings(t *testing.T) {
	if len(phrasings) < 150 {
		t.Fatalf("only %d phrasings", len(phrasings))
	}
	p := direct()
	for _, tt := range phrasings {
		t.Run(tt.say, func(t *testing.T) {
			calls, text := p.Next(t.Context(), llm.Request{Messages: []llm.Message{llm.UserMessage(tt.say)}, Tools: allTools()})
			if want, ok := strings.CutPrefix(tt.want, "text:"); ok {
				if len(calls) > 0 || !strings.HasPrefix(text, want) {
					t.Errorf("%q\n got calls %q text %q\nwant text %q...", tt.say, describe(calls), text, want)
				}
				return
			}
			if got := describe(calls); got != tt.want || text != "" {
				t.Errorf("%q\n got %q (text %q)\nwant %q", tt.say, got, text, tt.want)
			}
		})
	}
}

// chat runs one user message through the real tool loop against the fake
// home, the provider calling list_devices itself.
func chat(t *testing.T, h *home, history []llm.Message, say string) (answer string, added []llm.Message, chunks []llm.Chunk) {
	t.Helper()
	loop, err := llm.NewLoop(llm.Config{Provider: rules.New(rules.Config{Now: func() time.Time { return testNow }}), Tools: h.toolSet()})
	if err != nil {
		t.Fatal(err)
	}
	conv := append(append([]llm.Message(nil), history...), llm.UserMessage(say))
	added, err = loop.Run(t.Context(), conv, func(c llm.Chunk) error {
		chunks = append(chunks, c)
		answer += c.Text
		return nil
	})
	if err != nil {
		t.Fatalf("%q: %v", say, err)
	}
	return answer, added, chunks
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		say, want string
	}{
		{"dim the kitchen light to 30%", "Kitchen light is now at 30%."},
		{"turn off the hallway light", "Hallway light is now off."},
		{"turn on the kitchen light", "Kitchen light is now on at 50%."},
		{"toggle the living room lamp", "Living room lamp is now off."},
		{"set the kitchen light to warm white", "Kitchen light is now warm white."},
		{"make the kitchen light red", "Kitchen light is now red."},
		{"lock the back door", "Back door lock is now locked."},
		{"is the front door open?", "Front door is closed."},
		{"what is the temperature in the bedroom", "Bedroom sensor reports temperature 21.5 °C."},
		{"how much power is the coffee plug using", "Coffee plug reports power 1210 W."},
		{"what's the temperature", "Bedroom sensor reports temperature 21.5 °C. Office sensor reports temperature 19 °C."},
		{"is the hallway light on", "Hallway light is on (100%)."},
		{"what is on", "On right now: living room lamp (79%), coffee plug and hallway light (100%)."},
		{"which rooms are there", "Your rooms: bedroom, hallway, kitchen, living room and office."},
		{"how warm was the bedroom today", "Bedroom sensor temperature over today: between 18.5 and 22 °C (average 20.3 °C), latest 21.5 °C."},
		{"turn off the kitchen and hallway lights", "Kitchen light is now off. Kitchen spots is now off. Hallway light is now off."},
		{"dim the kitchen light to 30% and tell me if the front door is open", "Kitchen light is now at 30%. Front door is closed."},
		{"turn on the garage light", "I don't know a device called \"garage light\" — did you mean kitchen light?"},
		{"turn on the lamp", "Which one do you mean: living room lamp or bedroom lamp?"},
		{"status of the coffee plug", "Coffee plug: energy 3.4 kWh, power 1210 W, state on."},
		{"allow joining for 90 seconds", "The network is open for joining for 90 seconds: put the new device in pairing mode now."},
	}
	for _, tt := range tests {
		t.Run(tt.say, func(t *testing.T) {
			got, _, _ := chat(t, newHome(), nil, tt.say)
			if got != tt.want {
				t.Errorf("%q\n got %q\nwant %q", tt.say, got, tt.want)
			}
		})
	}
}

func TestAllTheLightsOneCallEach(t *testing.T) {
	h := newHome()
	got, added, _ := chat(t, h, nil, "turn off all the lights")
	var calls []string
	for _, m := range added {
		for _, c := range m.ToolCalls {
			calls = append(calls, c.Name)
		}
	}
	// list_devices, then one set_device per light
	if strings.Join(calls, ",") != "list_devices,set_device,set_device,set_device,set_device,set_device" {
		t.Errorf("calls %v", calls)
	}
	for _, n := range []string{"living_room_lamp", "kitchen_light", "kitchen_spots", "bedroom_lamp", "hallway_light"} {
		if s := h.find(n).State["state"]; s != "OFF" {
			t.Errorf("%s is %v", n, s)
		}
	}
	if h.find("coffee_plug").State["state"] != "ON" {
		t.Error("the coffee plug is not a light")
	}
	if !strings.HasPrefix(got, "Done for 5 devices: living room lamp, kitchen light, kitchen spots, bedroom lamp and hallway light.") {
		t.Errorf("answer %q", got)
	}
}

func TestFollowUpPronoun(t *testing.T) {
	h := newHome()
	_, added, _ := chat(t, h, nil, "turn on the bedroom lamp")
	history := append([]llm.Message{llm.UserMessage("turn on the bedroom lamp")}, added...)
	got, _, _ := chat(t, h, history, "now dim it to 20%")
	if got != "Bedroom lamp is now at 20%." {
		t.Errorf("answer %q", got)
	}
}

func TestMetadataAndChartChunks(t *testing.T) {
	_, _, chunks := chat(t, newHome(), nil, "dim the kitchen light to 30%")
	var state map[string]any
	for _, c := range chunks {
		if c.Metadata["type"] == "device_state" {
			state = c.Metadata
		}
	}
	if state == nil || state["device"] != "kitchen_light" || !strings.Contains(state["summary"].(string), "brightness 76") {
		t.Errorf("device_state chunk %v", state)
	}
	_, _, chunks = chat(t, newHome(), nil, "how warm was the bedroom today")
	var img *llm.Image
	for _, c := range chunks {
		if c.Image != nil {
			img = c.Image
		}
	}
	if img == nil || img.MIMEType != "image/svg+xml" || !strings.Contains(string(img.Data), "<polyline") {
		t.Errorf("no chart image: %v", img)
	}
}

func TestToolNotAvailable(t *testing.T) {
	tests := []struct{ say, tools, want string }{
		{"turn on the kitchen light", "list_devices,get_device", "I can't change devices here: the set_device tool isn't available to this chat."},
		{"is the door open", "list_devices", "I can't read devices here: the get_device tool isn't available to this chat."},
		{"allow joining for 2 minutes", "list_devices", "Opening the network for joining isn't allowed from this chat."},
		{"turn on the kitchen light", "", "I can't see your devices here: the list_devices tool isn't available to this chat."},
	}
	p := rules.New(rules.Config{})
	for _, tt := range tests {
		t.Run(tt.say+" with "+tt.tools, func(t *testing.T) {
			var tools []llm.Tool
			for n := range strings.SplitSeq(tt.tools, ",") {
				if n != "" {
					tools = append(tools, llm.Tool{Name: n})
				}
			}
			h := newHome()
			ts := &llmtest.ToolSet{Tools: tools, Handle: h.handle}
			loop, _ := llm.NewLoop(llm.Config{Provider: p, Tools: ts})
			var text string
			_, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage(tt.say)}, func(c llm.Chunk) error { text += c.Text; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, tt.want) {
				t.Errorf("got %q, want %q", text, tt.want)
			}
			for _, c := range ts.Calls() {
				if c.Name != "list_devices" {
					t.Errorf("called %s", c.Name)
				}
			}
		})
	}
}

func TestToolErrorsAreReported(t *testing.T) {
	h := newHome()
	ts := h.toolSet()
	inner := ts.Handle
	ts.Handle = func(ctx context.Context, name string, args json.RawMessage) (llm.ToolResult, error) {
		if name == "set_device" {
			return llm.ToolResult{}, errors.New("device kitchen_light did not answer (offline?)")
		}
		return inner(ctx, name, args)
	}
	loop, _ := llm.NewLoop(llm.Config{Provider: rules.New(rules.Config{}), Tools: ts})
	var text string
	if _, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("turn on the kitchen light")}, func(c llm.Chunk) error { text += c.Text; return nil }); err != nil {
		t.Fatal(err)
	}
	if text != "I couldn't change kitchen light: device kitchen_light did not answer (offline?)." {
		t.Errorf("answer %q", text)
	}
}

func TestBadDeviceList(t *testing.T) {
	ts := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: func(context.Context, string, json.RawMessage) (llm.ToolResult, error) {
		return llm.ToolResult{Text: "not json"}, nil
	}}
	loop, _ := llm.NewLoop(llm.Config{Provider: rules.New(rules.Config{}), Tools: ts})
	var text string
	if _, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("turn on the kitchen light")}, func(c llm.Chunk) error { text += c.Text; return nil }); err != nil {
		t.Fatal(err)
	}
	if text != "I couldn't read the device list." {
		t.Errorf("answer %q", text)
	}
}

func TestDeviceListShapes(t *testing.T) {
	tests := []struct{ name, list string }{
		{"array with capabilities", `[{"name":"kitchen_light","room":"kitchen","capabilities":["state","brightness"]}]`},
		{"devices object with Zigbee2MQTT exposes", `{"devices":[{"friendly_name":"kitchen_light","area":"kitchen","definition":{"exposes":[{"type":"light","features":[{"type":"binary","property":"state"},{"type":"numeric","property":"brightness"}]}]}}]}`},
		{"capability objects and a state", `{"devices":[{"name":"kitchen_light","capabilities":[{"property":"state"},{"name":"brightness"}],"state":{"state":"OFF"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: func(_ context.Context, name string, _ json.RawMessage) (llm.ToolResult, error) {
				if name == "list_devices" {
					return llm.ToolResult{Text: tt.list}, nil
				}
				return llm.ToolResult{Text: `{"state":"ON","brightness":76}`}, nil
			}}
			loop, _ := llm.NewLoop(llm.Config{Provider: rules.New(rules.Config{}), Tools: ts})
			var text string
			if _, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("dim the kitchen light to 30%")}, func(c llm.Chunk) error { text += c.Text; return nil }); err != nil {
				t.Fatal(err)
			}
			if text != "Kitchen light is now at 30%." {
				t.Errorf("answer %q", text)
			}
		})
	}
}

func FuzzNext(f *testing.F) {
	for _, tt := range phrasings {
		f.Add(tt.say)
	}
	f.Add("turn of all the lights and and , then")
	f.Add("last 99999999999 hours")
	f.Add("set it to 1e308%")
	p := direct()
	tools := allTools()
	f.Fuzz(func(t *testing.T, say string) {
		calls, text := p.Next(context.Background(), llm.Request{Messages: []llm.Message{llm.UserMessage(say)}, Tools: tools})
		if len(calls) == 0 && text == "" {
			t.Fatalf("%q: no calls and no text", say)
		}
		for _, c := range calls {
			var a map[string]any
			if err := json.Unmarshal(c.Arguments, &a); err != nil {
				t.Fatalf("%q: arguments %s: %v", say, c.Arguments, err)
			}
		}
	})
}

func BenchmarkPhraseToToolCall(b *testing.B) {
	p := direct()
	req := llm.Request{Messages: []llm.Message{llm.UserMessage("dim the kitchen light to 30%")}, Tools: allTools()}
	for b.Loop() {
		calls, _ := p.Next(context.Background(), req)
		if len(calls) != 1 {
			b.Fatal(calls)
		}
	}
}

func BenchmarkPhrasings(b *testing.B) {
	p := direct()
	tools := allTools()
	for b.Loop() {
		for _, tt := range phrasings {
			p.Next(context.Background(), llm.Request{Messages: []llm.Message{llm.UserMessage(tt.say)}, Tools: tools})
		}
	}
}
