package llm

// TrimHistory returns the newest part of a conversation that fits in
// budget bytes of message text and tool arguments. It drops whole turns
// (a user message and everything up to the next one) from the front, so a
// tool result never loses the assistant message that asked for it, and it
// always keeps the last turn, even over budget. msgs is not modified.
func TrimHistory(msgs []Message, budget int) []Message {
	size := func(m Message) int {
		n := len(m.Text)
		for _, c := range m.ToolCalls {
			n += len(c.Arguments) + len(c.Name)
		}
		return n
	}
	total := 0
	for _, m := range msgs {
		total += size(m)
	}
	start := 0
	for total > budget {
		next := -1
		for i := start + 1; i < len(msgs); i++ {
			if msgs[i].Role == RoleUser {
				next = i
				break
			}
		}
		if next < 0 {
			break // the last turn stays
		}
		for _, m := range msgs[start:next] {
			total -= size(m)
		}
		start = next
	}
	// a conversation never starts with a tool result or a dangling answer
	for start < len(msgs) && msgs[start].Role != RoleUser && LastUser(msgs[start:]) > 0 {
		start++
	}
	return msgs[start:]
}
