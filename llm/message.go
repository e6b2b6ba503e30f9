package llm

import "encoding/json"

// Role is who wrote a message.
type Role string

// Message roles.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
//
// An assistant message may carry ToolCalls besides (or instead of) Text. A
// tool message answers exactly one call: ToolCallID and ToolName name the
// call, Text is the result the model reads and IsError marks a failed call.
type Message struct {
	Role       Role       `json:"role"`
	Text       string     `json:"text,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	IsError    bool       `json:"is_error,omitempty"`
}

// Tool is a function the model may call. InputSchema is a JSON Schema object
// (MCP's inputSchema, forwarded unchanged to the provider).
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
}

// ToolCall is a complete call the model asked for. Arguments is the JSON
// object the model produced; it is not validated by the provider.
type ToolCall struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Request is one provider call: a system prompt, the conversation and the
// tools the model may call.
type Request struct {
	System   string
	Messages []Message
	Tools    []Tool
	// MaxTokens bounds the answer; 0 means the adapter's default.
	MaxTokens int
}

// UserMessage returns a user turn with text.
func UserMessage(text string) Message { return Message{Role: RoleUser, Text: text} }

// LastUser returns the index of the last user message in msgs, or -1.
func LastUser(msgs []Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == RoleUser {
			return i
		}
	}
	return -1
}
