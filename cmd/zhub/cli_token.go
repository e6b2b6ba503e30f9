package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

const tokenSynopsis = "zhub token create --name NAME | zhub token list | zhub token revoke NAME  [--json]"

// runToken manages the tokens of network clients (WebSocket, MCP over HTTP).
func runToken(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: %s\n", tokenSynopsis)
		return exitUsage
	}
	c := newCLI("zhub token "+args[0], tokenSynopsis, stdin, stdout, stderr)
	switch args[0] {
	case "create":
		name := c.fs.String("name", "", "a name for the client that will use the token, e.g. phone or home-assistant")
		pos, err := c.parse(args[1:])
		if err == nil && *name == "" && len(pos) == 1 {
			*name, pos = pos[0], nil
		}
		if err == nil && *name == "" {
			err = usagef("missing --name: %s", tokenSynopsis)
		}
		if err == nil {
			err = needArgs(pos, 0, 0, tokenSynopsis)
		}
		if err != nil {
			return c.fail(err)
		}
		t, err := c.api().CreateToken(ctx, *name)
		if err != nil {
			return c.fail(err)
		}
		if c.json {
			return c.fail(c.printJSON(t))
		}
		fmt.Fprintf(stdout, "Token %q created. Its secret is shown only this once:\n\n  %s\n\n", t.Name, t.Secret)
		fmt.Fprintln(stdout, "Clients send it as `Authorization: Bearer <secret>`; a browser can open the web UI with ?token=<secret>.")
		fmt.Fprintf(stdout, "Revoke it with: zhub token revoke %s\n", t.Name)
		return exitOK
	case "list":
		pos, err := c.parse(args[1:])
		if err == nil {
			err = needArgs(pos, 0, 0, tokenSynopsis)
		}
		if err != nil {
			return c.fail(err)
		}
		list, err := c.api().Tokens(ctx)
		if err != nil {
			return c.fail(err)
		}
		if c.json {
			return c.fail(c.printJSON(list))
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "No tokens. Create one with: zhub token create --name NAME")
			return exitOK
		}
		now := time.Now()
		tw := newTable(stdout)
		fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.CreatedAt.Local().Format("2006-01-02 15:04"), ago(t.LastUsedAt, now))
		}
		tw.Flush()
		return exitOK
	case "revoke":
		pos, err := c.parse(args[1:])
		if err == nil {
			err = needArgs(pos, 1, 1, tokenSynopsis)
		}
		if err != nil {
			return c.fail(err)
		}
		r, err := c.api().RevokeToken(ctx, pos[0])
		if err != nil {
			return c.fail(err)
		}
		if c.json {
			return c.fail(c.printJSON(r))
		}
		fmt.Fprintf(stdout, "revoked %s; clients using it are disconnected\n", r.Revoked)
		return exitOK
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "usage: %s\n", tokenSynopsis)
		return exitOK
	}
	fmt.Fprintf(stderr, "zhub: unknown token command %q (want create, list or revoke)\n", args[0])
	return exitUsage
}
