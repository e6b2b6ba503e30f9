package openai_test

import "testing"

// TestLoop runs the tool loop through the adapter: parallel tool calls are
// executed in order, their results go back in the follow-up request, and the
// answer streams out.
func TestLoop(t *testing.T) { adapter.CheckLoop(t, []string{"call_abc", "call_def"}) }
