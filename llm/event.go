package llm

// Event is one item of a provider stream: TextDelta, ToolCall, Usage or Done.
type Event interface{ isEvent() }

// TextDelta is a piece of the assistant's answer, in order.
type TextDelta struct{ Text string }

// Usage is the token count of one provider call, when the provider reports it.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// StopReason says why the model stopped.
type StopReason string

// Stop reasons, normalised across providers.
const (
	StopEnd      StopReason = "end"      // a natural end of the answer
	StopToolUse  StopReason = "tool_use" // the model wants its tool calls run
	StopLength   StopReason = "length"   // the token budget ran out
	StopFiltered StopReason = "filtered" // content filter or refusal
	StopOther    StopReason = "other"    // anything else (Done.Raw has the provider's word)
)

// Done ends a successful stream.
type Done struct {
	Reason StopReason
	Raw    string // the provider's own stop reason
}

func (TextDelta) isEvent() {}
func (ToolCall) isEvent()  {}
func (Usage) isEvent()     {}
func (Done) isEvent()      {}
