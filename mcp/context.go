package mcp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// Access is how far assistants may go with a device.
type Access string

// Access levels. The zero value means AccessFull.
const (
	// AccessFull: assistants may read and change the device (subject to
	// the deny list).
	AccessFull Access = "full"
	// AccessConfirm: changes need confirm: true, which an assistant sends
	// only after the person agreed.
	AccessConfirm Access = "confirm"
	// AccessReadOnly: assistants may read the device, never change,
	// rename or remove it.
	AccessReadOnly Access = "read_only"
	// AccessHidden: the device does not exist for assistants.
	AccessHidden Access = "hidden"
)

// Accesses lists the access levels in increasing restriction.
var Accesses = []Access{AccessFull, AccessConfirm, AccessReadOnly, AccessHidden}

// Rules are what the household lets assistants do with one device.
type Rules struct {
	Access Access `json:"access,omitempty"`
	// Deny lists changes assistants may never make: "property" (any value)
	// or "property=VALUE" (that value; strings compare without case, e.g.
	// "state=UNLOCK" for "never unlock").
	Deny []string `json:"deny,omitempty"`
}

// level returns the access, AccessFull for the zero value.
func (r Rules) level() Access {
	if r.Access == "" {
		return AccessFull
	}
	return r.Access
}

// Limits of the context texts.
const (
	MaxRoomLen    = 64
	MaxAliasLen   = 64
	MaxAliases    = 16
	MaxNotesLen   = 1000
	MaxDenyRules  = 32
	maxDenyEntry  = 128
	maxDescribed  = 60 // devices named in a tool description
	maxPromptDevs = 200
)

// DeviceContext is what the household says about one device.
type DeviceContext struct {
	IEEE    zigbee.IEEE `json:"-"`
	Room    string      `json:"room,omitempty"`
	Aliases []string    `json:"aliases,omitempty"`
	Notes   string      `json:"notes,omitempty"`
	Rules   Rules       `json:"rules"`
}

func (c DeviceContext) empty() bool {
	return c.Room == "" && len(c.Aliases) == 0 && c.Notes == "" && c.Rules.level() == AccessFull && len(c.Rules.Deny) == 0
}

func (c DeviceContext) clone() DeviceContext {
	c.Aliases = slices.Clone(c.Aliases)
	c.Rules.Deny = slices.Clone(c.Rules.Deny)
	return c
}

// ContextStore persists device contexts; mcp/mcpstore adapts hub/store to it.
// A nil Config.Contexts keeps them in memory.
type ContextStore interface {
	// LoadContexts returns every stored context.
	LoadContexts(ctx context.Context) ([]DeviceContext, error)
	// SaveContext inserts or replaces the context of c.IEEE.
	SaveContext(ctx context.Context, c DeviceContext) error
	// DeleteContext removes a context; a missing one is not an error.
	DeleteContext(ctx context.Context, ieee zigbee.IEEE) error
}

// ContextUpdate changes some fields of a device context; nil fields are
// kept. Aliases and Deny replace the whole list.
type ContextUpdate struct {
	Room    *string   `json:"room,omitempty"`
	Aliases *[]string `json:"aliases,omitempty"`
	Notes   *string   `json:"notes,omitempty"`
	Access  *Access   `json:"access,omitempty"`
	Deny    *[]string `json:"deny,omitempty"`
}

// apply returns c with u applied, cleaned and validated.
func (u ContextUpdate) apply(c DeviceContext) (DeviceContext, error) {
	c = c.clone()
	if u.Room != nil {
		c.Room = strings.TrimSpace(*u.Room)
	}
	if u.Notes != nil {
		c.Notes = strings.TrimSpace(*u.Notes)
	}
	if u.Aliases != nil {
		c.Aliases = nil
		for _, a := range *u.Aliases {
			a = strings.TrimSpace(a)
			if a != "" && !slices.ContainsFunc(c.Aliases, func(b string) bool { return strings.EqualFold(a, b) }) {
				c.Aliases = append(c.Aliases, a)
			}
		}
	}
	if u.Access != nil {
		c.Rules.Access = *u.Access
		if c.Rules.Access == AccessFull {
			c.Rules.Access = ""
		}
	}
	if u.Deny != nil {
		c.Rules.Deny = nil
		for _, d := range *u.Deny {
			if d = normalizeDeny(d); d != "" && !slices.Contains(c.Rules.Deny, d) {
				c.Rules.Deny = append(c.Rules.Deny, d)
			}
		}
	}
	return c, validateContext(c)
}

// normalizeDeny trims a deny entry ("state = unlock" → "state=unlock").
func normalizeDeny(d string) string {
	prop, val, hasVal := strings.Cut(d, "=")
	prop = strings.TrimSpace(prop)
	if !hasVal {
		return prop
	}
	return prop + "=" + strings.TrimSpace(val)
}

func validateContext(c DeviceContext) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("mcp: %w: "+format, append([]any{ErrInvalidContext}, args...)...)
	}
	text := func(what, s string, max int) error {
		switch {
		case !utf8.ValidString(s):
			return bad("%s is not valid UTF-8", what)
		case utf8.RuneCountInString(s) > max:
			return bad("%s longer than %d characters", what, max)
		case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }):
			return bad("%s contains control characters", what)
		}
		return nil
	}
	if err := text("room", c.Room, MaxRoomLen); err != nil {
		return err
	}
	if strings.ContainsRune(c.Room, '\n') {
		return bad("room must be one line")
	}
	if err := text("notes", c.Notes, MaxNotesLen); err != nil {
		return err
	}
	if len(c.Aliases) > MaxAliases {
		return bad("more than %d aliases", MaxAliases)
	}
	for _, a := range c.Aliases {
		if err := text("alias", a, MaxAliasLen); err != nil {
			return err
		}
		if strings.ContainsRune(a, '\n') {
			return bad("alias %q must be one line", a)
		}
	}
	if !slices.Contains(Accesses, c.Rules.level()) {
		return bad("access %q (want one of full, confirm, read_only, hidden)", c.Rules.Access)
	}
	if len(c.Rules.Deny) > MaxDenyRules {
		return bad("more than %d deny rules", MaxDenyRules)
	}
	for _, d := range c.Rules.Deny {
		prop, _, _ := strings.Cut(d, "=")
		if prop == "" || len(d) > maxDenyEntry || strings.ContainsAny(prop, " \t\n") {
			return bad("deny rule %q (want PROPERTY or PROPERTY=VALUE, e.g. state=UNLOCK)", d)
		}
	}
	return nil
}

// describeRules says the rules in a few words ("read only; never state=UNLOCK").
func describeRules(r Rules) string {
	var parts []string
	switch r.level() {
	case AccessConfirm:
		parts = append(parts, "ask the person before changing it")
	case AccessReadOnly:
		parts = append(parts, "read only")
	case AccessHidden:
		parts = append(parts, "hidden")
	}
	for _, d := range r.Deny {
		parts = append(parts, "never change "+d)
	}
	return strings.Join(parts, "; ")
}

// denied returns the deny entry that forbids setting prop to v, or "".
func (r Rules) denied(prop string, v any) string {
	for _, d := range r.Deny {
		dp, dv, hasVal := strings.Cut(d, "=")
		if !strings.EqualFold(dp, prop) {
			continue
		}
		if !hasVal || valueMatches(v, dv) {
			return d
		}
	}
	return ""
}

// valueMatches compares a requested value with a deny value: strings
// without case, numbers numerically, booleans by name.
func valueMatches(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return strings.EqualFold(strings.TrimSpace(x), want)
	case bool:
		return strings.EqualFold(strconv.FormatBool(x), want)
	case float64:
		f, err := strconv.ParseFloat(want, 64)
		return err == nil && f == x
	case map[string]any:
		// A composite value (colour) is denied only by the bare property.
		return false
	}
	return strings.EqualFold(fmt.Sprint(v), want)
}

// entry is one visible device with its context, as the tools see it.
type entry struct {
	dev hub.Device
	ctx DeviceContext
}

func (e entry) name() string { return e.dev.FriendlyName }
