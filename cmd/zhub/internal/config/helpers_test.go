package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envMap is a getenv backed by a map: tests never depend on the real environment.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeConfig writes text to a new file in a temp dir and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadText loads text as the --config file with the given environment (HOME is set so the
// data dir has a default).
func loadText(t *testing.T, text string, env map[string]string) (Config, string, error) {
	t.Helper()
	path := writeConfig(t, text)
	e := map[string]string{"HOME": "/home/zhub"}
	for k, v := range env {
		e[k] = v
	}
	cfg, _, err := Load(LoadOptions{Flag: path, Getenv: envMap(e), SystemPath: filepath.Join(t.TempDir(), "absent.toml")})
	return cfg, path, err
}

// lines splits an error's text into its lines and checks that none is empty.
func errLines(t *testing.T, err error) []string {
	t.Helper()
	ls := strings.Split(err.Error(), "\n")
	for _, l := range ls {
		if strings.TrimSpace(l) == "" {
			t.Errorf("empty line in error %q", err.Error())
		}
	}
	return ls
}
