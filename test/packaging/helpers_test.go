package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// debArches are the architectures `make deb` builds, with the GOARCH of their binary.
var debArches = []struct{ deb, goarch string }{
	{"arm64", "arm64"},
	{"armhf", "arm"},
	{"amd64", "amd64"},
}

// repoRoot is the repository's top directory (go test runs in test/packaging).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// strict reports whether missing tools fail the tests instead of skipping them.
func strict() bool { return os.Getenv("ZHUB_PACKAGING_STRICT") == "1" }

// need finds a tool or skips (fails in strict mode) with the reason.
func need(t *testing.T, tool, why string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not installed (%s): %v", tool, why, err)
	if strict() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// needRoot skips (fails in strict mode) unless the test runs as root.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if strict() {
		t.Fatalf("needs root: %s", why)
	}
	t.Skipf("needs root: %s", why)
}

// The packages, built once per test binary.
var (
	debOnce  sync.Once
	debFiles map[string]string // Debian arch -> .deb path
	debErr   error
	debTmp   string // removed by TestMain
)

// debs returns the package file for each architecture: from $ZHUB_DEB_DIR, or built
// with `make deb` into a temporary directory.
func debs(t *testing.T) map[string]string {
	t.Helper()
	need(t, "dpkg-deb", "the packages are inspected with it")
	debOnce.Do(func() {
		dir := os.Getenv("ZHUB_DEB_DIR")
		if dir != "" && !filepath.IsAbs(dir) {
			dir = filepath.Join(repoRoot(t), dir) // relative to the repository, as make's DEB_DIR
		}
		if dir == "" {
			debTmp, debErr = os.MkdirTemp("", "zhub-deb-")
			if debErr != nil {
				return
			}
			dir = debTmp
			cmd := exec.Command("make", "--no-print-directory", "deb", "DEB_DIR="+dir)
			cmd.Dir = repoRoot(t)
			if out, err := cmd.CombinedOutput(); err != nil {
				debErr = fmt.Errorf("make deb: %w\n%s", err, out)
				return
			}
		}
		debFiles, debErr = findDebs(dir)
	})
	if debErr != nil {
		t.Fatal(debErr)
	}
	return debFiles
}

// findDebs finds exactly one zhub_*_<arch>.deb for each architecture in dir.
func findDebs(dir string) (map[string]string, error) {
	found := map[string]string{}
	for _, a := range debArches {
		m, err := filepath.Glob(filepath.Join(dir, "zhub_*_"+a.deb+".deb"))
		if err != nil {
			return nil, err
		}
		if len(m) != 1 {
			return nil, fmt.Errorf("want one zhub_*_%s.deb in %s, found %d: %v (make deb writes them; empty the directory first)", a.deb, dir, len(m), m)
		}
		found[a.deb] = m[0]
	}
	return found, nil
}

// hostDebArch is the Debian architecture whose binary runs here natively, or "".
func hostDebArch() string {
	for _, a := range debArches {
		if a.goarch == runtime.GOARCH {
			return a.deb
		}
	}
	return ""
}

// extract unpacks a package's files into a new temporary directory.
func extract(t *testing.T, deb string) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-x", deb, dir)
	return dir
}

// run runs a command and returns its standard output; it fails the test on a non-zero
// exit, showing standard error.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := runErr(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// runErr runs a command and returns its standard output, standard error and error.
func runErr(dir string, env []string, name string, args ...string) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// sortedKeys lists a set's members in order, for messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestMain(m *testing.M) {
	code := m.Run()
	if debTmp != "" {
		os.RemoveAll(debTmp)
	}
	os.Exit(code)
}
