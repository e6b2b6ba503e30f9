package ws

import (
	"context"
	"strings"
)

// Chat is the chat service the gateway hands "chat" requests to. In zhub it
// is the llm tool loop; the gateway knows nothing of models or tools.
//
// Chat streams the answer to text through emit, in order, and returns when
// the answer is complete. session names the conversation (the client's
// "session" payload field, or one per connection), so a service can keep
// history. emit is never called concurrently for one request; it returns
// an error when the client is gone or the request was cancelled, and Chat
// should then stop and return that error. Chat must return promptly once
// ctx is done.
type Chat interface {
	Chat(ctx context.Context, session, text string, emit func(Chunk) error) error
}

// ChatFunc adapts a function to Chat.
type ChatFunc func(ctx context.Context, session, text string, emit func(Chunk) error) error

// Chat calls f.
func (f ChatFunc) Chat(ctx context.Context, session, text string, emit func(Chunk) error) error {
	return f(ctx, session, text, emit)
}

// NoModelChat is the chat service used when none is configured. It says
// honestly that no model is connected, streamed word by word like a real
// answer, so clients and tests exercise the streaming path.
var NoModelChat Chat = ChatFunc(noModelChat)

// NoModelText is the answer of NoModelChat.
const NoModelText = "Chat is not connected to a model yet, so I cannot act on what you typed. " +
	"Use the device controls, or configure [llm] and restart zhub."

func noModelChat(ctx context.Context, _, _ string, emit func(Chunk) error) error {
	words := strings.SplitAfter(NoModelText, " ")
	for _, w := range words {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(Chunk{Text: w}); err != nil {
			return err
		}
	}
	return nil
}
