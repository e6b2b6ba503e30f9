package main

import (
	"context"
	"sync"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/ws"
)

// loopChat adapts the llm tool loop to ws.Chat: it keeps each session's
// conversation in memory (bounded, oldest sessions and turns dropped) and
// converts the loop's chunks to the WebSocket's. Wiring the loop into the
// gateway is then one line in chatService:
//
//	return newLoopChat(loop)
type loopChat struct {
	loop *llm.Loop

	mu       sync.Mutex
	sessions map[string]*chatSession
	order    []string // session names, least recently used first
}

// chatSession is one conversation; its mutex serialises its turns.
type chatSession struct {
	mu   sync.Mutex
	conv []llm.Message
}

// Bounds of the in-memory conversations.
const (
	maxChatSessions = 64
	maxChatMessages = 40
)

func newLoopChat(loop *llm.Loop) *loopChat {
	return &loopChat{loop: loop, sessions: map[string]*chatSession{}}
}

var _ ws.Chat = (*loopChat)(nil)

func (c *loopChat) session(name string) *chatSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sessions[name]
	if ok {
		for i, n := range c.order {
			if n == name {
				c.order = append(c.order[:i], c.order[i+1:]...)
				break
			}
		}
	} else {
		s = &chatSession{}
		c.sessions[name] = s
		if len(c.order) >= maxChatSessions {
			delete(c.sessions, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.order = append(c.order, name)
	return s
}

// Chat runs one turn of session's conversation through the loop.
func (c *loopChat) Chat(ctx context.Context, session, text string, emit func(ws.Chunk) error) error {
	s := c.session(session)
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := append(s.conv[:len(s.conv):len(s.conv)], llm.UserMessage(text))
	added, err := c.loop.Run(ctx, conv, func(ch llm.Chunk) error { return emit(wsChunk(ch)) })
	if err == nil {
		conv = append(conv, added...)
		if len(conv) > maxChatMessages {
			conv = trimConversation(conv, maxChatMessages)
		}
		s.conv = conv
	}
	return err
}

// trimConversation keeps at most n messages, starting at a user turn so no
// tool result is left without its call.
func trimConversation(conv []llm.Message, n int) []llm.Message {
	start := len(conv) - n
	for start < len(conv) && conv[start].Role != llm.RoleUser {
		start++
	}
	return append([]llm.Message(nil), conv[start:]...)
}

// wsChunk converts an llm chunk to the WebSocket's.
func wsChunk(ch llm.Chunk) ws.Chunk {
	out := ws.Chunk{Text: ch.Text, Metadata: ch.Metadata}
	if ch.Image != nil {
		out.Image = &ws.Image{MIMEType: ch.Image.MIMEType, Title: ch.Image.Title, Data: ch.Image.Data}
	}
	return out
}
