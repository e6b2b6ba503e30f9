package test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageDocs fails when a package has no doc comment: each package's
// doc.go states its contracts (docs/style.md §2.7).
func TestPackageDocs(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Doc}}", mod+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, doc, _ := strings.Cut(line, "\t")
		if strings.TrimSpace(doc) == "" {
			t.Errorf("%s has no package doc comment (add a doc.go)", pkg)
		}
	}
}
