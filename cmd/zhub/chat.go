package main

// The built-in chat: the llm tool loop on the provider chosen in [llm],
// with the MCP device tools (the in-memory session of mcp.go), the device
// context as system prompt, the chat's own safety rules, and conversation
// memory in SQLite. The WebSocket gateway and the local API share the one
// instance chatService returns.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/anthropic"
	"github.com/zhubhq/zhub/llm/ollama"
	"github.com/zhubhq/zhub/llm/openai"
	"github.com/zhubhq/zhub/llm/rules"
	"github.com/zhubhq/zhub/ws"
)

// Default models when llm.model is empty.
const (
	defaultOpenAIModel    = "gpt-4.1-mini"
	defaultAnthropicModel = "claude-sonnet-4-5"
	defaultOllamaModel    = "qwen3:1.7b"
)

// conversationRetention is how long an idle conversation is kept.
const conversationRetention = 30 * 24 * time.Hour

// guardedChatTools are the tools the chat never gets unless mcp.guarded_tools
// names them (the MCP server hides them too; this is the second fence).
var guardedChatTools = []string{config.GuardPermitJoin, config.GuardRenameDevice, config.GuardRemoveDevice}

// newChatProvider builds the provider [llm] names. The API key is read from
// the environment variable the configuration names and goes only to the
// adapter; errors never carry it.
func newChatProvider(c config.Config) (llm.Provider, error) {
	model := c.LLM.Model
	key, err := c.LLMAPIKey()
	if err != nil {
		return nil, err
	}
	switch c.LLM.Provider {
	case "", config.ProviderRules:
		return rules.New(rules.Config{}), nil
	case config.ProviderOpenAI:
		if model == "" {
			model = defaultOpenAIModel
		}
		return openai.New(openai.Config{Model: model, APIKey: key, BaseURL: c.LLM.BaseURL})
	case config.ProviderAnthropic:
		if model == "" {
			model = defaultAnthropicModel
		}
		if key == "" && c.LLM.BaseURL == "" {
			return nil, errors.New("llm.provider anthropic needs an API key: set llm.api_key_env to the name of the variable holding it")
		}
		return anthropic.New(anthropic.Config{Model: model, APIKey: key, BaseURL: c.LLM.BaseURL})
	case config.ProviderOllama:
		if model == "" {
			model = defaultOllamaModel
		}
		return ollama.New(ollama.Config{Model: model, APIKey: key, BaseURL: c.LLM.BaseURL})
	}
	return nil, fmt.Errorf("unknown llm.provider %q", c.LLM.Provider)
}

// chatAllow says which MCP tools the chat may see and call: everything the
// MCP server lists, except the guarded tools the configuration does not
// enable.
func chatAllow(c config.Config) func(string) bool {
	return func(name string) bool {
		for _, g := range guardedChatTools {
			if name == g {
				return c.MCP.Guarded(g)
			}
		}
		return true
	}
}

// chatToolGuard holds the chat to rules of its own on top of the MCP
// tools: by default it never unlocks anything (a lock is opened by a
// person at the lock, in the web UI or with the CLI). It refuses before
// the call reaches MCP, so nothing is sent to the radio.
type chatToolGuard struct{ llm.ToolSet }

func (g chatToolGuard) Call(ctx context.Context, name string, args json.RawMessage) (llm.ToolResult, error) {
	if name == "set_device" {
		var a struct {
			Device string         `json:"device"`
			Values map[string]any `json:"values"`
		}
		if json.Unmarshal(args, &a) == nil {
			for k, v := range a.Values {
				if s, ok := v.(string); ok && (k == "state" || k == "lock_state") && strings.EqualFold(strings.TrimSpace(s), "UNLOCK") {
					return llm.ToolResult{IsError: true, Text: fmt.Sprintf(
						"error: unlocking is not allowed from the chat (%s was not changed); unlock it at the lock, in the web UI or with the zhub CLI", a.Device)}, nil
				}
			}
		}
	}
	return g.ToolSet.Call(ctx, name, args)
}

// startChat builds the chat service and sets /health's "llm" component.
// Without a hub (no device tools) the chat stays ws.NoModelChat; a
// provider that cannot be built (e.g. its API key variable is unset) makes
// a chat that says so. The in-memory MCP session is closed when ctx ends.
func (d *daemon) startChat(ctx context.Context, g *errgroup.Group) error {
	log := d.log.With("module", "llm")
	d.health.SetDetail("llm", "provider", d.cfg.LLM.Provider)
	if d.mcp == nil {
		d.health.Set("llm", ws.StateDisabled, errors.New("no hub (coordinator disabled): the chat has no device tools"))
		d.chat = ws.NoModelChat
		return nil
	}
	p, err := newChatProvider(d.cfg)
	if err != nil {
		d.health.Set("llm", ws.StateError, err)
		log.Error("chat provider unusable; the chat answers with the reason", "event", "llm_provider_failed", "provider", d.cfg.LLM.Provider, "err", err)
		d.chat = brokenChat(err)
		return nil
	}
	tools := d.chatTools()
	loop, err := llm.NewLoop(llm.Config{
		Provider:         p,
		Tools:            chatToolGuard{tools},
		Allow:            chatAllow(d.cfg),
		SystemPromptFunc: d.chatSystemPrompt,
		MaxIterations:    d.cfg.LLM.MaxToolIterations,
		RequestTimeout:   d.cfg.LLM.Timeout,
		Logger:           log,
	})
	if err != nil {
		return err
	}
	var conv conversationStore
	if d.store != nil {
		conv = d.store
		if n, err := d.store.PruneConversations(ctx, time.Now().Add(-conversationRetention)); err != nil {
			log.Warn("cannot prune old conversations", "event", "conversation_prune_failed", "err", err)
		} else if n > 0 {
			log.Info("old conversations pruned", "event", "conversations_pruned", "count", n)
		}
	}
	d.chat = newLoopChat(loop, conv, log)
	g.Go(func() error {
		<-ctx.Done()
		if c, ok := tools.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		return nil
	})
	model := d.cfg.LLM.Model
	if p.Name() == config.ProviderRules {
		model = ""
	}
	d.health.Set("llm", ws.StateOK, nil)
	if model != "" {
		d.health.SetDetail("llm", "model", model)
	}
	log.Info("chat ready", "event", "component_ready", "component", "llm", "provider", p.Name(), "model", model,
		"guarded_tools", d.cfg.MCP.GuardedTools)
	return nil
}

// brokenChat answers every request with why the chat cannot work.
func brokenChat(err error) ws.Chat {
	text := "The chat cannot reach its model: " + err.Error() + ". Fix [llm] in the configuration and restart zhub."
	return ws.ChatFunc(func(ctx context.Context, _, _ string, emit func(ws.Chunk) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return emit(ws.Chunk{Text: text})
	})
}
