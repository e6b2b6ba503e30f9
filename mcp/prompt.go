package mcp

import (
	"context"
	"fmt"
	"strings"
)

// SystemPrompt is the chat's system prompt: how to act, then the home as
// the household describes it (rooms, devices with their kinds, aliases,
// notes and rules). It holds no live state, so it stays stable between
// turns (prompt caches), and no secrets: names, rooms, aliases, notes and
// rules only. Hidden devices are left out.
func (s *Server) SystemPrompt(ctx context.Context) string {
	_ = s.ready(ctx) // without the context the prompt just has fewer words
	es := s.entries()
	var b strings.Builder
	b.WriteString("You are the assistant of a home run by zhub, a Zigbee hub. You act only through the tools: " +
		"use set_device to change a device and report the state it returned, never what you asked for; use " +
		"get_device or list_devices for current values. Address devices by friendly name; the household also " +
		"uses the aliases below. If a tool says the household's rules refuse something, tell the person and do " +
		"not try another way. If a rule asks for confirmation, ask the person and only then call again with " +
		"confirm: true. Keep answers short.\n")
	if len(es) == 0 {
		b.WriteString("\nNo devices are paired yet.\n")
		return b.String()
	}
	b.WriteString("\nThe home:\n")
	byRoom := map[string][]entry{}
	for _, e := range es {
		byRoom[e.ctx.Room] = append(byRoom[e.ctx.Room], e)
	}
	n := 0
	section := func(title string, list []entry) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintf(&b, "- %s:\n", title)
		for _, e := range list {
			n++
			if n > maxPromptDevs {
				continue
			}
			fmt.Fprintf(&b, "  - %s: %s", e.name(), kindOf(e.dev))
			if len(e.ctx.Aliases) > 0 {
				fmt.Fprintf(&b, "; also called %s", quoteList(e.ctx.Aliases))
			}
			if e.ctx.Notes != "" {
				fmt.Fprintf(&b, "; notes: %s", strings.Join(strings.Fields(e.ctx.Notes), " "))
			}
			if r := describeRules(e.ctx.Rules); r != "" {
				fmt.Fprintf(&b, "; rules: %s", r)
			}
			b.WriteString("\n")
		}
	}
	for _, r := range roomsOf(es) {
		section(r, byRoom[r])
	}
	section("No room set", byRoom[""])
	if n > maxPromptDevs {
		fmt.Fprintf(&b, "- and %d more devices (call list_devices)\n", n-maxPromptDevs)
	}
	if gs := s.groupEntries(es); len(gs) > 0 {
		b.WriteString("\nGroups (set_group changes all their devices at once, in sync): " + groupList(gs) + ".\n")
	}
	return b.String()
}
