package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/ws"
)

// loopChat adapts the llm tool loop to ws.Chat: it keeps each session's
// conversation (bounded in messages and bytes, least recently used
// sessions dropped from memory) and converts the loop's chunks to the
// WebSocket's. With a conversationStore, a session is loaded from it on
// first use and saved after each turn, so a conversation survives a
// restart and an eviction from memory.
type loopChat struct {
	loop  *llm.Loop
	store conversationStore // nil: memory only
	log   *slog.Logger

	mu       sync.Mutex
	sessions map[string]*chatSession
	order    []string // session names, least recently used first
}

// conversationStore persists conversations (hub/store.Store).
type conversationStore interface {
	Conversation(ctx context.Context, session string) (json.RawMessage, error)
	PutConversation(ctx context.Context, session string, messages json.RawMessage) error
}

// chatSession is one conversation; its mutex serialises its turns.
type chatSession struct {
	mu     sync.Mutex
	loaded bool
	conv   []llm.Message
}

// Bounds of a conversation: messages kept, and bytes of text and tool
// arguments (llm.TrimHistory), so the prompt and the stored row stay small.
const (
	maxChatSessions = 64
	maxChatMessages = 40
	maxChatBytes    = 16 << 10
)

func newLoopChat(loop *llm.Loop, st conversationStore, log *slog.Logger) *loopChat {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &loopChat{loop: loop, store: st, log: log, sessions: map[string]*chatSession{}}
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

// Chat runs one turn of session's conversation through the loop. The
// turn is kept (and saved) also when the run failed midway, with what the
// loop added, so the next turn knows which tools already ran.
func (c *loopChat) Chat(ctx context.Context, session, text string, emit func(ws.Chunk) error) error {
	s := c.session(session)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		s.conv = c.load(ctx, session)
		s.loaded = true
	}
	conv := append(s.conv[:len(s.conv):len(s.conv)], llm.UserMessage(text))
	added, err := c.loop.Run(ctx, conv, func(ch llm.Chunk) error { return emit(wsChunk(ch)) })
	if err != nil && ctx.Err() != nil && len(added) == 0 {
		return err // cancelled before anything happened: forget the turn
	}
	conv = append(conv, added...)
	if len(conv) > maxChatMessages {
		conv = trimConversation(conv, maxChatMessages)
	}
	conv = llm.TrimHistory(conv, maxChatBytes)
	s.conv = conv
	c.save(context.WithoutCancel(ctx), session, conv)
	return err
}

func (c *loopChat) load(ctx context.Context, session string) []llm.Message {
	if c.store == nil {
		return nil
	}
	raw, err := c.store.Conversation(ctx, session)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.log.Warn("cannot load a conversation; starting it afresh", "event", "conversation_load_failed", "err", err)
		}
		return nil
	}
	var conv []llm.Message
	if err := json.Unmarshal(raw, &conv); err != nil {
		c.log.Warn("stored conversation unreadable; starting it afresh", "event", "conversation_load_failed", "err", err)
		return nil
	}
	return conv
}

func (c *loopChat) save(ctx context.Context, session string, conv []llm.Message) {
	if c.store == nil {
		return
	}
	if conv == nil {
		conv = []llm.Message{}
	}
	b, err := json.Marshal(conv)
	if err == nil {
		err = c.store.PutConversation(ctx, session, b)
	}
	if err != nil {
		c.log.Warn("cannot save a conversation", "event", "conversation_save_failed", "err", err)
	}
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
