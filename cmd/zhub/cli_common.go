package main

// Shared plumbing of the CLI subcommands that talk to the daemon through
// the local API: flags that may come after positional arguments, finding
// the socket, one-line errors with the exit code, JSON output, tables.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/hub/localapi"
)

// usageError is a command line that could not be parsed: nothing was sent
// to the daemon. It exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// cli is one CLI invocation: its flags, output streams and client.
type cli struct {
	name     string // e.g. "zhub device rename"
	synopsis string
	fs       *flag.FlagSet
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer

	json       bool
	socket     string
	configPath string
	client     *localapi.Client
}

// newCLI prepares a subcommand with the common flags (--json, --socket,
// --config).
func newCLI(name, synopsis string, stdin io.Reader, stdout, stderr io.Writer) *cli {
	c := &cli{name: name, synopsis: synopsis, stdin: stdin, stdout: stdout, stderr: stderr}
	c.fs = flag.NewFlagSet(name, flag.ContinueOnError)
	c.fs.SetOutput(io.Discard)
	c.fs.BoolVar(&c.json, "json", false, "print JSON (see docs/cli.md for the shapes)")
	c.fs.StringVar(&c.socket, "socket", "", "the daemon's local API socket (default: $ZHUB_SOCKET, the configuration, then the usual places)")
	c.fs.StringVar(&c.configPath, "config", "", "configuration file, to find the socket (default: $ZHUB_CONFIG, /etc/zhub/config.toml)")
	return c
}

// parse parses flags anywhere among the arguments ("zhub set lamp
// state=ON --json") and returns the positional arguments; "--" ends the
// flags.
func (c *cli) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", c.name, err)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at "--" (and drops it) or at the first positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usage prints the synopsis and the flags (for --help).
func (c *cli) usage() {
	fmt.Fprintf(c.stdout, "usage: %s\n\nflags:\n", c.synopsis)
	c.fs.SetOutput(c.stdout)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
}

// socketPath resolves the socket: --socket, $ZHUB_SOCKET, the
// configuration's socket or <data_dir>/zhub.sock if that exists, the
// usual places (localapi.DefaultSocket), else the configuration's path.
func (c *cli) socketPath() string {
	if c.socket != "" {
		return c.socket
	}
	if s := os.Getenv("ZHUB_SOCKET"); s != "" {
		return s
	}
	cfg, _, err := config.Load(config.LoadOptions{Flag: c.configPath, Getenv: os.Getenv})
	fromConfig := ""
	if err == nil {
		fromConfig = cfg.SocketPath()
	}
	if fromConfig != "" {
		if fi, err := os.Stat(fromConfig); err == nil && fi.Mode().Type() == fs.ModeSocket {
			return fromConfig
		}
	}
	def := localapi.DefaultSocket()
	if fi, err := os.Stat(def); (err == nil && fi.Mode().Type() == fs.ModeSocket) || fromConfig == "" {
		return def
	}
	return fromConfig
}

// api returns the client, connecting on first use.
func (c *cli) api() *localapi.Client {
	if c.client == nil {
		c.client = &localapi.Client{Socket: c.socketPath()}
	}
	return c.client
}

// fail prints err as one line and returns its exit code.
func (c *cli) fail(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		c.usage()
		return exitOK
	}
	if ue, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintf(c.stderr, "zhub: %s (usage: %s)\n", ue.msg, c.synopsis)
		return exitUsage
	}
	fmt.Fprintf(c.stderr, "zhub: %s\n", oneLine(errorText(err)))
	return exitFailed
}

// errorText says what went wrong and what to do about it.
func errorText(err error) string {
	if ce, ok := errors.AsType[*localapi.ConnectError](err); ok {
		switch {
		case errors.Is(err, localapi.ErrNotRunning):
			what := "no socket at " + ce.Socket
			if !errors.Is(ce.Cause, fs.ErrNotExist) {
				what = "nothing answers on " + ce.Socket
			}
			return fmt.Sprintf("daemon not running (%s): start it with `sudo systemctl start zhub` or `zhub serve`", what)
		case errors.Is(err, localapi.ErrPermission):
			return fmt.Sprintf("permission denied on %s: add your user to the zhub group (`sudo usermod -aG zhub $USER`, then log in again) or use sudo", ce.Socket)
		}
	}
	if ae, ok := errors.AsType[*localapi.APIError](err); ok {
		return ae.Message
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	if errors.Is(err, localapi.ErrProtocol) {
		return err.Error() + " (is the socket really zhub's, and the same version as this zhub?)"
	}
	return err.Error()
}

// oneLine keeps a message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printLine writes v as one compact JSON line (streams).
func (c *cli) printLine(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// terminal reports whether w is a terminal.
func terminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// ago says how long ago t was, coarsely ("12s ago", "3m ago", "never").
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// duration renders an uptime ("3h12m", "45s").
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours()/24), int(d.Hours())%24)
}

// value renders a state value for people.
func value(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%g", x)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// needArgs checks the number of positional arguments.
func needArgs(pos []string, min, max int, synopsis string) error {
	switch {
	case len(pos) < min:
		return usagef("missing argument: %s", synopsis)
	case max >= 0 && len(pos) > max:
		return usagef("unexpected argument %q: %s", pos[max], synopsis)
	}
	return nil
}
