package main

import (
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// secretKeys are attribute keys whose values never reach a log, whatever
// the caller passed. Secrets should not be logged in the first place; this
// is the second line of defence.
var secretKeys = map[string]bool{
	"token": true, "password": true, "secret": true, "api_key": true, "apikey": true,
	"network_key": true, "key": true, "authorization": true, "cookie": true,
}

// tokenInText finds secrets embedded in free text: ?token=..., Bearer ...
var tokenInText = regexp.MustCompile(`(?i)(token=|bearer\s+|api[_-]?key=|password=)[^\s&"']+`)

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "[redacted]")
	}
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); tokenInText.MatchString(s) {
			return slog.String(a.Key, tokenInText.ReplaceAllString(s, "${1}[redacted]"))
		}
	}
	return a
}

// newLogger builds the daemon's root logger: JSON (for journald and log
// shippers) or human text, with secret redaction. Every record carries
// "module" and "event" by convention (each component gets log.With("module", ...)).
func newLogger(w io.Writer, level slog.Level, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
