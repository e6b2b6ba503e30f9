package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsAnywhere(t *testing.T) {
	tests := []struct {
		name string
		args []string
		pos  []string
		json bool
	}{
		{"flags first", []string{"--json", "lamp", "state=ON"}, []string{"lamp", "state=ON"}, true},
		{"flags last", []string{"lamp", "state=ON", "--json"}, []string{"lamp", "state=ON"}, true},
		{"flags between", []string{"lamp", "--json", "state=ON"}, []string{"lamp", "state=ON"}, true},
		{"double dash ends flags", []string{"lamp", "--", "--json"}, []string{"lamp", "--json"}, false},
		{"no flags", []string{"a", "b"}, []string{"a", "b"}, false},
		{"nothing", nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI("zhub test", "zhub test", nil, &bytes.Buffer{}, &bytes.Buffer{})
			pos, err := c.parse(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pos, tc.pos) || c.json != tc.json {
				t.Errorf("positional %q json %v, want %q %v", pos, c.json, tc.pos, tc.json)
			}
		})
	}
}

// TestCLIUsageAndDaemonDown runs the commands in-process without a daemon:
// command-line mistakes exit 2 before anything is sent, and everything
// that needs the daemon says in one line that it is not running and how
// to start it.
func TestCLIUsageAndDaemonDown(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "zhub.sock")
	t.Setenv("ZHUB_SOCKET", sock)
	t.Setenv("ZHUB_CONFIG", filepath.Join(t.TempDir(), "none.toml"))
	tests := []struct {
		args []string
		code int
		want string // in the one stderr line
	}{
		{[]string{"status"}, exitFailed, "daemon not running (no socket at " + sock + "): start it with `sudo systemctl start zhub` or `zhub serve`"},
		{[]string{"devices", "--json"}, exitFailed, "daemon not running"},
		{[]string{"pair", "--count", "1"}, exitFailed, "daemon not running"},
		{[]string{"device", "show", "lamp"}, exitFailed, "daemon not running"},
		{[]string{"set", "lamp", "state=ON"}, exitFailed, "daemon not running"},
		{[]string{"get", "lamp"}, exitFailed, "daemon not running"},
		{[]string{"token", "list"}, exitFailed, "daemon not running"},
		{[]string{"logs"}, exitFailed, "daemon not running"},
		{[]string{"chat", "hello"}, exitFailed, "daemon not running"},
		{[]string{"status", "--socket", "/nonexistent/x.sock"}, exitFailed, "no socket at /nonexistent/x.sock"},

		{[]string{"status", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"status", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"pair", "--duration", "0"}, exitUsage, "outside 1–254"},
		{[]string{"pair", "--duration", "255"}, exitUsage, "outside 1–254"},
		{[]string{"pair", "--count", "-1"}, exitUsage, "negative"},
		{[]string{"pair", "--duration", "soon"}, exitUsage, "invalid value"},
		{[]string{"device"}, exitUsage, "usage: zhub device"},
		{[]string{"device", "frob", "x"}, exitUsage, `unknown device command "frob"`},
		{[]string{"device", "show"}, exitUsage, "missing argument"},
		{[]string{"device", "rename", "a"}, exitUsage, "missing argument"},
		{[]string{"get"}, exitUsage, "missing argument"},
		{[]string{"set", "lamp"}, exitUsage, "missing argument"},
		{[]string{"set", "lamp", "state"}, exitUsage, "not key=value"},
		{[]string{"set", "lamp", `{"state":`}, exitUsage, "invalid JSON"},
		{[]string{"token"}, exitUsage, "usage: zhub token"},
		{[]string{"token", "create"}, exitUsage, "missing --name"},
		{[]string{"token", "revoke"}, exitUsage, "missing argument"},
		{[]string{"token", "mint"}, exitUsage, `unknown token command "mint"`},
		{[]string{"logs", "-n", "-3"}, exitUsage, "negative"},
		{[]string{"restore"}, exitUsage, "missing argument"},
		{[]string{"restore", "/nonexistent/backup.json", "--yes"}, exitFailed, "read backup"},
		{[]string{"completion"}, exitUsage, "usage: zhub completion"},
		{[]string{"completion", "fish"}, exitUsage, `no completion for "fish"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			code := run(ctx, tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
			if n := strings.Count(stderr.String(), "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", n, stderr.String())
			}
			if tc.code != exitOK && stdout.Len() > 0 {
				t.Errorf("stdout not empty on failure: %q", stdout.String())
			}
		})
	}
}

func TestCLIHelp(t *testing.T) {
	for _, args := range [][]string{{"pair", "--help"}, {"set", "-h"}, {"device", "remove", "--help"}, {"logs", "--help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		if !strings.HasPrefix(stdout.String(), "usage: zhub "+args[0]) || !strings.Contains(stdout.String(), "-json") {
			t.Errorf("%v: help output %q", args, stdout.String())
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh"} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"completion", shell}, nil, &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d %s", shell, code, stderr.String())
		}
		for _, want := range []string{"pair", "devices", "token", "__complete-devices"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%s script lacks %q", shell, want)
			}
		}
	}
	if _, err := os.Stat("/bin/bash"); err == nil {
		// The bash script must at least parse.
		var stdout, stderr bytes.Buffer
		run(t.Context(), []string{"completion", "bash"}, nil, &stdout, &stderr)
		script := filepath.Join(t.TempDir(), "zhub.bash")
		os.WriteFile(script, stdout.Bytes(), 0o600)
		if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, out)
		}
	}
}
