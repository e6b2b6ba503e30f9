package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zhubhq/zhub/hub/localapi"
)

const (
	groupSynopsis             = "zhub group list|add|remove|rename|add-member|remove-member|set ..."
	groupListSynopsis         = "zhub group list [--json]"
	groupAddSynopsis          = "zhub group add NAME [--id N] [--json]"
	groupRemoveSynopsis       = "zhub group remove NAME [--force] [--json]"
	groupRenameSynopsis       = "zhub group rename NAME NEW_NAME [--json]"
	groupAddMemberSynopsis    = "zhub group add-member GROUP DEVICE [--endpoint N] [--json]"
	groupRemoveMemberSynopsis = "zhub group remove-member GROUP DEVICE [--endpoint N] [--json]"
	groupSetSynopsis          = "zhub group set GROUP key=value... | zhub group set GROUP '{\"key\":value}' [--json]"
)

// runGroup dispatches zhub group list|add|remove|rename|add-member|
// remove-member|set.
func runGroup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: %s\n", groupSynopsis)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return runGroupList(ctx, args[1:], stdin, stdout, stderr)
	case "add":
		return runGroupAdd(ctx, args[1:], stdin, stdout, stderr)
	case "remove":
		return runGroupRemove(ctx, args[1:], stdin, stdout, stderr)
	case "rename":
		return runGroupRename(ctx, args[1:], stdin, stdout, stderr)
	case "add-member":
		return runGroupMember(ctx, true, args[1:], stdin, stdout, stderr)
	case "remove-member":
		return runGroupMember(ctx, false, args[1:], stdin, stdout, stderr)
	case "set":
		return runGroupSet(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "usage: %s\n", groupSynopsis)
		return exitOK
	}
	fmt.Fprintf(stderr, "zhub: unknown group command %q (want list, add, remove, rename, add-member, remove-member or set)\n", args[0])
	return exitUsage
}

func runGroupList(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub group list", groupListSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, groupListSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	gs, err := c.api().Groups(ctx)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(gs))
	}
	if len(gs) == 0 {
		fmt.Fprintln(stdout, "No groups yet. Create one with: zhub group add NAME")
		return exitOK
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "NAME\tID\tMEMBERS\tSTATE")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", g.FriendlyName, g.ID, memberList(g.Members), stateText(g.State))
	}
	tw.Flush()
	return exitOK
}

// memberList renders members as "name/endpoint, ...".
func memberList(ms []localapi.GroupMember) string {
	if len(ms) == 0 {
		return "-"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%s/%d", m.Device, m.Endpoint)
	}
	return strings.Join(parts, ", ")
}

// stateText renders a state as "key value, ..." in key order.
func stateText(st map[string]any) string {
	if len(st) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range sortedKeys(st) {
		parts = append(parts, k+" "+value(st[k]))
	}
	return strings.Join(parts, ", ")
}

func runGroupAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub group add", groupAddSynopsis, stdin, stdout, stderr)
	id := c.fs.Int("id", 0, "the group id, 1 to 65527 (default: the lowest free one)")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, groupAddSynopsis)
	}
	if err == nil && (*id < 0 || *id > 0xFFF7) {
		err = usagef("--id %d: a group id is 1 to 65527", *id)
	}
	if err != nil {
		return c.fail(err)
	}
	g, err := c.api().AddGroup(ctx, pos[0], *id)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(g))
	}
	fmt.Fprintf(stdout, "added group %s (id %d); add devices with: zhub group add-member %s DEVICE\n", g.FriendlyName, g.ID, g.FriendlyName)
	return exitOK
}

func runGroupRemove(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub group remove", groupRemoveSynopsis, stdin, stdout, stderr)
	force := c.fs.Bool("force", false, "forget the group even if a member does not answer (it may keep reacting to the group id)")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, groupRemoveSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	r, err := c.api().RemoveGroup(ctx, pos[0], *force)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(r))
	}
	fmt.Fprintf(stdout, "removed group %s (id %d)\n", r.Removed, r.ID)
	return exitOK
}

func runGroupRename(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub group rename", groupRenameSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 2, 2, groupRenameSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	g, err := c.api().RenameGroup(ctx, pos[0], pos[1])
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(g))
	}
	fmt.Fprintf(stdout, "renamed group %s to %s (id %d)\n", pos[0], g.FriendlyName, g.ID)
	return exitOK
}

func runGroupMember(ctx context.Context, add bool, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name, synopsis := "zhub group remove-member", groupRemoveMemberSynopsis
	if add {
		name, synopsis = "zhub group add-member", groupAddMemberSynopsis
	}
	c := newCLI(name, synopsis, stdin, stdout, stderr)
	ep := c.fs.Int("endpoint", 0, "the device's endpoint (default: the one with the Groups cluster, or the member one)")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 2, 2, synopsis)
	}
	if err == nil && (*ep < 0 || *ep > 240) {
		err = usagef("--endpoint %d: an endpoint is 1 to 240", *ep)
	}
	if err != nil {
		return c.fail(err)
	}
	var g localapi.Group
	if add {
		g, err = c.api().AddGroupMember(ctx, pos[0], pos[1], *ep)
	} else {
		g, err = c.api().RemoveGroupMember(ctx, pos[0], pos[1], *ep)
	}
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(g))
	}
	verb := "removed %s from %s"
	if add {
		verb = "added %s to %s"
	}
	fmt.Fprintf(stdout, verb+"; members: %s\n", pos[1], g.FriendlyName, memberList(g.Members))
	return exitOK
}

func runGroupSet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub group set", groupSetSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 2, -1, groupSetSynopsis)
	}
	var values map[string]any
	if err == nil {
		values, err = parseAssignments(pos[1:])
	}
	if err != nil {
		return c.fail(err)
	}
	r, err := c.api().SetGroup(ctx, pos[0], values)
	if err != nil {
		return c.fail(err)
	}
	return c.printGroupSet(r)
}

// printGroupSet prints what a group command applied. There is no answer
// per device for a group command: the members' reports follow.
func (c *cli) printGroupSet(r localapi.GroupStateResult) int {
	if c.json {
		return c.fail(c.printJSON(r))
	}
	fmt.Fprintf(c.stdout, "%s (group): sent %s\n", r.Group, stateText(r.State))
	return exitOK
}

// setGroupInstead is zhub set's fallback: when NAME is no device, it may
// be a group. isGroup is false (and the device error stands) when NAME is
// no group either.
func (c *cli) setGroupInstead(ctx context.Context, name string, values map[string]any, devErr error) (r localapi.GroupStateResult, isGroup bool, err error) {
	ae, ok := errors.AsType[*localapi.APIError](devErr)
	if !ok || ae.Code != localapi.CodeUnknownDevice {
		return r, false, nil
	}
	r, err = c.api().SetGroup(ctx, name, values)
	if ge, ok := errors.AsType[*localapi.APIError](err); ok && ge.Code == localapi.CodeUnknownGroup {
		return r, false, nil
	}
	return r, true, err
}
