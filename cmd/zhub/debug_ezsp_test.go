package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebugDecodeEZSPTraces runs `zhub debug decode --proto ezsp` over every
// shared EZSP trace (acceptance: exit 0, including the v4–v7 ones).
func TestDebugDecodeEZSPTraces(t *testing.T) {
	files, err := filepath.Glob("../../../shared/protocol/vectors/ezsp/traces/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runDebug([]string{"decode", "--proto", "ezsp", f}, &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if !strings.Contains(out.String(), "DATA(") {
				t.Fatalf("no DATA frame decoded:\n%s", out.String())
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := runDebug([]string{"decode", "--proto", "zigate", files[0]}, &out, &errOut); code != exitUsage {
		t.Fatalf("unknown protocol: exit %d, want %d", code, exitUsage)
	}
}
