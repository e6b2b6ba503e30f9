package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every shared real-hardware trace decodes with no unknown command (issue 3,
// acceptance 2), and a broken trace fails naming its line.
func TestDebugDecodeSharedTraces(t *testing.T) {
	traces, err := filepath.Glob("../../../shared/protocol/vectors/znp/traces/*.txt")
	if err != nil || len(traces) == 0 {
		t.Fatalf("no shared ZNP traces found (need ../shared beside the repository): %v", err)
	}
	for _, tr := range traces {
		t.Run(filepath.Base(tr), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(t.Context(), []string{"debug", "decode", "--proto", "znp", tr}, nil, &out, &errb); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if !strings.Contains(out.String(), " SRSP ") && !strings.Contains(out.String(), " AREQ ") {
				t.Errorf("decoded output names no command:\n%s", out.String())
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("# header\n> FE00210120\n< FE02610179011B\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"debug", "decode", "--proto", "znp", bad}, nil, &out, &errb); code != exitFailed {
		t.Fatalf("bad FCS trace: exit %d", code)
	}
	if !strings.Contains(errb.String(), "line 3") {
		t.Errorf("error does not name line 3: %s", errb.String())
	}
	if code := run(t.Context(), []string{"debug", "decode", "--proto", "zigbee", bad}, nil, &out, &errb); code != exitUsage {
		t.Errorf("unknown proto: exit %d, want %d", code, exitUsage)
	}
}
