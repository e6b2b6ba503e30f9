package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zhubhq/zhub/hub/localapi"
)

const logsSynopsis = "zhub logs [-n 100] [--follow] [--json]"

// runLogs prints the daemon's recent log records and, with --follow, new
// ones until Ctrl-C.
func runLogs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub logs", logsSynopsis, stdin, stdout, stderr)
	n := c.fs.Int("n", 100, "how many recent records to show")
	follow := c.fs.Bool("follow", false, "keep printing new records until Ctrl-C")
	c.fs.BoolVar(follow, "f", false, "short for --follow")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, logsSynopsis)
	}
	if err == nil && *n < 0 {
		err = usagef("-n %d is negative", *n)
	}
	if err != nil {
		return c.fail(err)
	}
	st, err := c.api().Logs(ctx, *n, *follow)
	if err != nil {
		return c.fail(err)
	}
	defer st.Close()
	for {
		rec, err := st.Next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
				return exitOK
			}
			return c.fail(err)
		}
		if c.json {
			c.printLine(rec)
			continue
		}
		fmt.Fprintln(stdout, logLine(rec))
	}
}

// logLine renders a record as one line: time, level, module, event,
// message, then the other attributes as key=value.
func logLine(r localapi.LogRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-5s", r.Time.Local().Format("2006-01-02 15:04:05.000"), r.Level)
	if r.Module != "" {
		b.WriteString(" " + r.Module)
	}
	if r.Event != "" {
		b.WriteString(" " + r.Event)
	}
	b.WriteString(": " + r.Msg)
	for _, k := range sortedKeys(r.Attrs) {
		v := value(r.Attrs[k])
		if strings.ContainsAny(v, " \"=") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	return b.String()
}
