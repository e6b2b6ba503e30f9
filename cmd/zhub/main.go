// Command zhub is the zhub daemon (zhub serve) and its command-line tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is stamped by `make build` from git describe.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Exit codes shared by every subcommand.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `zhub — a Zigbee home-automation hub

Usage:
  zhub serve [--config FILE]        run the daemon (foreground)
  zhub config check [--config FILE] validate the configuration and print it (secrets redacted)
  zhub sim [flags]                  run an emulated Z-Stack or EmberZNet dongle (see zhub sim --help)
  zhub debug decode --proto znp|ezsp FILE
                                    decode a ZNP or EZSP trace into one line per frame
  zhub version                      print the version

Talking to the running daemon (its local API socket; every command takes --json,
--socket PATH and --config FILE):
  zhub status                       daemon, coordinator, MQTT, LLM
  zhub pair [--duration 120] [--via DEVICE] [--count N]
                                    open joining and show pairing live (Ctrl-C closes joining)
  zhub devices                      the device table
  zhub device show|rename|remove|interview NAME ...
                                    one device (remove --force for dead devices)
  zhub device context [NAME] [--room R] [--alias A]... [--notes T] [--access LEVEL] [--deny P=V]...
                                    rooms, aliases, notes and assistant rules (see docs/mcp.md)
  zhub get NAME [PROPERTY...]       read properties from a device
  zhub set NAME key=value...        e.g. zhub set kitchen_light state=ON brightness=50%
  zhub group list|add NAME [--id N]|remove NAME [--force]|rename FROM TO
  zhub group add-member|remove-member GROUP DEVICE [--endpoint N]
                                    Zigbee groups: one radio frame switches every member
                                    (zhub set GROUP key=value... sets a group)
  zhub backup [--out FILE]          coordinator backup (Open Coordinator Backup JSON)
  zhub restore FILE                 write a backup to the coordinator
  zhub token create --name NAME | list | revoke NAME
                                    tokens for network clients (WebSocket, MCP)
  zhub logs [--follow]              recent daemon log records
  zhub chat ["message"]             chat with the hub (interactive without a message)
  zhub mcp                          MCP server on stdin/stdout for desktop assistants
                                    (bridged to the daemon; see docs/mcp.md)
  zhub completion bash|zsh          shell completion script

Exit codes: 0 ok, 1 failed, 2 bad command line.

Configuration lookup: --config, $ZHUB_CONFIG, /etc/zhub/config.toml, built-in defaults.
Every key can be overridden with ZHUB_<SECTION>_<KEY> (e.g. ZHUB_HTTP_LISTEN).
`

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "zhub %s\n", buildVersion())
		return exitOK
	case "config":
		return runConfig(args[1:], stdout, stderr)
	case "sim":
		return runSim(ctx, args[1:], stdin, stdout, stderr)
	case "debug":
		return runDebug(args[1:], stdout, stderr)
	case "status":
		return runStatus(ctx, args[1:], stdin, stdout, stderr)
	case "pair":
		return runPair(ctx, args[1:], stdin, stdout, stderr)
	case "devices":
		return runDevices(ctx, args[1:], stdin, stdout, stderr)
	case "device":
		return runDevice(ctx, args[1:], stdin, stdout, stderr)
	case "group":
		return runGroup(ctx, args[1:], stdin, stdout, stderr)
	case "get":
		return runGet(ctx, args[1:], stdin, stdout, stderr)
	case "set":
		return runSet(ctx, args[1:], stdin, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], stdin, stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], stdin, stdout, stderr)
	case "token":
		return runToken(ctx, args[1:], stdin, stdout, stderr)
	case "logs":
		return runLogs(ctx, args[1:], stdin, stdout, stderr)
	case "chat":
		return runChat(ctx, args[1:], stdin, stdout, stderr)
	case "mcp":
		return runMCP(ctx, args[1:], stdin, stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	case "__complete-devices":
		return runCompleteDevices(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "zhub: unknown command %q (run zhub help)\n", args[0])
	return exitUsage
}
