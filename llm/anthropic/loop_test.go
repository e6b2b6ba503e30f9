package anthropic_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
)

// TestLoop runs the tool loop through the adapter: parallel tool calls are
// executed in order, their results go back in the follow-up request, and the
// answer streams out.
func TestLoop(t *testing.T) {
	srv := llmtest.NewServer(t, "testdata", "parallel.sse", "answer.sse")
	tools := &llmtest.ToolSet{Tools: llmtest.DeviceTools(), Handle: func(_ context.Context, name string, _ json.RawMessage) (llm.ToolResult, error) {
		return llm.ToolResult{Text: "result of " + name}, nil
	}}
	loop, err := llm.NewLoop(llm.Config{Provider: newProvider(t, srv, 0), Tools: tools, SystemPrompt: "You control a Zigbee home."})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	added, err := loop.Run(t.Context(), []llm.Message{llm.UserMessage("dim the kitchen light and tell me if the front door is open")},
		func(c llm.Chunk) error { text.WriteString(c.Text); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "The kitchen light is at 30% and the front door is closed." {
		t.Errorf("answer %q", text.String())
	}
	var ids []string
	for _, m := range added {
		if m.Role == llm.RoleTool {
			ids = append(ids, m.ToolCallID)
		}
	}
	if want := []string{"toolu_01A", "toolu_01B", "toolu_01C"}; !slices.Equal(ids, want) {
		t.Errorf("tool results %v, want %v", ids, want)
	}
	calls := tools.Calls()
	if len(calls) < 2 || calls[0].Name != "set_device" || calls[1].Name != "get_device" {
		t.Errorf("calls %v", calls)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	body := string(reqs[1].Body)
	for i, id := range ids {
		at := strings.Index(body, id)
		if at < 0 || !strings.Contains(body, "result of "+calls[i].Name) {
			t.Errorf("follow-up request lacks the result of %s: %s", id, body)
		}
		if i > 0 && at < strings.Index(body, ids[i-1]) {
			t.Errorf("results out of order in %s", body)
		}
	}
}
