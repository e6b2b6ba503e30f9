package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
)

// loadConfig loads, validates and runtime-checks the configuration (data
// directory writable, listen addresses free, serial device accessible).
// For the daemon (serve), a missing or inaccessible serial device is not
// fatal: it is returned as portErr so the daemon comes up degraded and the
// driver keeps retrying until the dongle appears (a dongle unplugged at boot
// must not send systemd into a restart loop).
func loadConfig(path string, serve bool) (cfg config.Config, src config.Source, portErr, err error) {
	cfg, src, err = config.Load(config.LoadOptions{Flag: path, Getenv: os.Getenv})
	if err != nil {
		return cfg, src, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, src, nil, err
	}
	if err := cfg.CheckRuntime(); err != nil {
		if !serve {
			return cfg, src, nil, err
		}
		var fatal []error
		for _, e := range flatten(err) {
			if ce, ok := errors.AsType[*config.Error](e); ok && ce.Key == "serial.port" {
				portErr = errors.Join(portErr, e)
				continue
			}
			fatal = append(fatal, e)
		}
		if len(fatal) > 0 {
			return cfg, src, portErr, errors.Join(fatal...)
		}
	}
	return cfg, src, portErr, nil
}

// flatten returns the errors joined in err (or err itself).
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: zhub config check [--config FILE]")
		return exitUsage
	}
	fs := flag.NewFlagSet("zhub config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (default: $ZHUB_CONFIG, /etc/zhub/config.toml, built-in defaults)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	cfg, src, _, err := loadConfig(*path, false)
	if err != nil {
		fmt.Fprintf(stderr, "zhub: %v\n", err)
		return exitFailed
	}
	from := "built-in defaults"
	if src.FromFile {
		from = src.Path
	}
	fmt.Fprintf(stdout, "# configuration OK (from %s, with ZHUB_* environment overrides)\n", from)
	fmt.Fprint(stdout, cfg.Redacted())
	return exitOK
}
