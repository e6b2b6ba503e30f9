package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
)

// loadConfig loads, validates and runtime-checks the configuration (data
// directory writable, listen addresses free, serial device accessible).
func loadConfig(path string) (config.Config, config.Source, error) {
	cfg, src, err := config.Load(config.LoadOptions{Flag: path, Getenv: os.Getenv})
	if err != nil {
		return cfg, src, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, src, err
	}
	if err := cfg.CheckRuntime(); err != nil {
		return cfg, src, err
	}
	return cfg, src, nil
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
	cfg, src, err := loadConfig(*path)
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
