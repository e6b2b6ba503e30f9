package llm_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/llm"
)

func TestTrimHistory(t *testing.T) {
	turn := func(q, a string) []llm.Message {
		return []llm.Message{
			llm.UserMessage(q),
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c", Name: "get_device", Arguments: json.RawMessage(`{"name":"x"}`)}}},
			{Role: llm.RoleTool, ToolCallID: "c", Text: "{}"},
			{Role: llm.RoleAssistant, Text: a},
		}
	}
	conv := slices.Concat(turn("first question", strings.Repeat("a", 100)), turn("second", "short"), turn("third", "last answer"))
	tests := []struct {
		name   string
		budget int
		first  string
		n      int
	}{
		{"everything fits", 1 << 20, "first question", 12},
		{"oldest turn dropped", 120, "second", 8},
		{"only the last turn, even over budget", 1, "third", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := llm.TrimHistory(conv, tt.budget)
			if len(got) != tt.n || got[0].Role != llm.RoleUser || got[0].Text != tt.first {
				t.Errorf("got %d messages starting %+v", len(got), got[0])
			}
		})
	}
	if got := llm.TrimHistory(conv[1:], 1<<20); got[0].Role != llm.RoleUser {
		t.Errorf("a leading tool exchange without its question was kept: %+v", got[0])
	}
	if got := llm.TrimHistory(nil, 10); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}
