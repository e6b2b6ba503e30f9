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
  zhub sim [flags]                  run an emulated Z-Stack dongle (see zhub sim --help)
  zhub debug decode --proto znp FILE
                                    decode a ZNP trace into one line per frame
  zhub version                      print the version

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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "zhub: unknown command %q (run zhub help)\n", args[0])
	return exitUsage
}
