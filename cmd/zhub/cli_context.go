package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/mcp"
)

const contextSynopsis = "zhub device context [NAME [--room ROOM] [--alias ALIAS]... [--clear-aliases] [--notes TEXT] " +
	"[--access full|confirm|read_only|hidden] [--deny PROPERTY[=VALUE]]... [--clear-deny] [--clear]] [--json]"

// listFlag is a repeatable string flag; set tells whether it was given.
type listFlag struct {
	vals []string
	set  bool
}

func (l *listFlag) String() string { return strings.Join(l.vals, ",") }
func (l *listFlag) Set(v string) error {
	l.vals, l.set = append(l.vals, v), true
	return nil
}

// optFlag is a string flag that knows whether it was given.
type optFlag struct {
	val string
	set bool
}

func (o *optFlag) String() string { return o.val }
func (o *optFlag) Set(v string) error {
	o.val, o.set = v, true
	return nil
}

// runDeviceContext is `zhub device context`: without a name it lists every
// device's context; with a name and no change it shows one; with changes
// it applies them (rules included: this is the owner's door, assistants
// cannot change rules).
func runDeviceContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub device context", contextSynopsis, stdin, stdout, stderr)
	var room, notes, access optFlag
	var aliases, deny listFlag
	c.fs.Var(&room, "room", "the room (\"\" clears it)")
	c.fs.Var(&aliases, "alias", "another name people use for the device (repeat; replaces the list)")
	clearAliases := c.fs.Bool("clear-aliases", false, "remove every alias")
	c.fs.Var(&notes, "notes", "free-text notes for assistants (\"\" clears them)")
	c.fs.Var(&access, "access", "what assistants may do: full, confirm (ask first), read_only or hidden")
	c.fs.Var(&deny, "deny", "a change assistants may never make, e.g. state=UNLOCK or color (repeat; replaces the list)")
	clearDeny := c.fs.Bool("clear-deny", false, "remove every deny rule")
	clearAll := c.fs.Bool("clear", false, "forget the whole context of the device")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 1, contextSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	changing := room.set || notes.set || access.set || aliases.set || deny.set || *clearAliases || *clearDeny || *clearAll
	if len(pos) == 0 {
		if changing {
			return c.fail(usagef("a change needs the device NAME: %s", contextSynopsis))
		}
		var all []mcp.DeviceContextView
		if err := c.contextAPI(ctx, http.MethodGet, "", nil, &all); err != nil {
			return c.fail(err)
		}
		if c.json {
			return c.fail(c.printJSON(all))
		}
		tw := newTable(stdout)
		fmt.Fprintln(tw, "NAME\tROOM\tALIASES\tRULES")
		for _, v := range all {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Device, dash(v.Room), dash(strings.Join(v.Aliases, ", ")), rulesText(v.Rules))
		}
		tw.Flush()
		return exitOK
	}

	var v mcp.DeviceContextView
	switch {
	case *clearAll:
		if room.set || notes.set || access.set || aliases.set || deny.set {
			return c.fail(usagef("--clear cannot be combined with other changes"))
		}
		err = c.contextAPI(ctx, http.MethodDelete, pos[0], nil, &v)
	case changing:
		var u mcp.ContextUpdate
		if room.set {
			u.Room = &room.val
		}
		if notes.set {
			u.Notes = &notes.val
		}
		if access.set {
			a := mcp.Access(access.val)
			u.Access = &a
		}
		switch {
		case *clearAliases && aliases.set:
			return c.fail(usagef("--clear-aliases and --alias exclude each other"))
		case *clearAliases:
			u.Aliases = &[]string{}
		case aliases.set:
			u.Aliases = &aliases.vals
		}
		switch {
		case *clearDeny && deny.set:
			return c.fail(usagef("--clear-deny and --deny exclude each other"))
		case *clearDeny:
			u.Deny = &[]string{}
		case deny.set:
			u.Deny = &deny.vals
		}
		err = c.contextAPI(ctx, http.MethodPatch, pos[0], u, &v)
	default:
		err = c.contextAPI(ctx, http.MethodGet, pos[0], nil, &v)
	}
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(v))
	}
	tw := newTable(stdout)
	fmt.Fprintf(tw, "device\t%s (%s)\n", v.Device, v.IEEE)
	fmt.Fprintf(tw, "room\t%s\n", dash(v.Room))
	fmt.Fprintf(tw, "aliases\t%s\n", dash(quoted(v.Aliases)))
	fmt.Fprintf(tw, "notes\t%s\n", dash(oneLine(v.Notes)))
	fmt.Fprintf(tw, "rules\t%s\n", rulesText(v.Rules))
	tw.Flush()
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func quoted(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// rulesText says the rules for people: "read only; never state=UNLOCK".
func rulesText(r mcp.Rules) string {
	var parts []string
	switch r.Access {
	case "", mcp.AccessFull:
		parts = append(parts, "full")
	case mcp.AccessReadOnly:
		parts = append(parts, "read only")
	case mcp.AccessConfirm:
		parts = append(parts, "ask first")
	default:
		parts = append(parts, string(r.Access))
	}
	for _, d := range r.Deny {
		parts = append(parts, "never "+d)
	}
	return strings.Join(parts, "; ")
}

// contextAPI calls the daemon's device context API on the socket (served
// by package mcp beside the local API) and decodes the answer into out.
func (c *cli) contextAPI(ctx context.Context, method, name string, body, out any) error {
	socket := c.socketPath()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", socket)
		if err != nil {
			return nil, socketError(socket, err)
		}
		return conn, nil
	}}}
	defer hc.CloseIdleConnections()
	u := "http://zhub" + mcp.ContextPath
	if name != "" {
		u += "/" + url.PathEscape(name)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ce, ok := errors.AsType[*localapi.ConnectError](err); ok {
			return ce
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("device context: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		var eb mcp.ContextAPIError
		if json.Unmarshal(data, &eb) != nil || eb.Message == "" {
			return fmt.Errorf("device context: HTTP %d: %w", resp.StatusCode, localapi.ErrProtocol)
		}
		if eb.Code == localapi.CodeNotFound {
			eb.Message = "this daemon has no device context API (is it an older zhub, or is the coordinator disabled?)"
		}
		return &localapi.APIError{Status: resp.StatusCode, Code: eb.Code, Message: eb.Message, Suggestion: eb.Suggestion}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("device context: decode answer: %w: %w", localapi.ErrProtocol, err)
	}
	return nil
}
