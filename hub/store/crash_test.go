package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

const (
	crashEnvPath       = "ZHUB_STORE_CRASH_DB"
	crashEnvDurability = "ZHUB_STORE_CRASH_DURABILITY"
	crashWrites        = 10000
	crashWriters       = 32
	crashKillAfter     = 3000
)

// TestHelperWriterProcess is the child of TestCrashKeepsAcknowledgedWrites,
// not a test: it writes crashWrites events from crashWriters goroutines and
// prints "ack <id>" for each one after its write returned. When done it
// waits on stdin, so it only ever ends by being killed.
func TestHelperWriterProcess(t *testing.T) {
	path := os.Getenv(crashEnvPath)
	if path == "" {
		t.Skip("helper process for TestCrashKeepsAcknowledgedWrites")
	}
	dur, err := strconv.Atoi(os.Getenv(crashEnvDurability))
	if err != nil {
		fmt.Fprintln(os.Stderr, "durability:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: path, Durability: Durability(dur)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var next atomic.Int64
	var mu sync.Mutex // one line per write(2)
	var wg sync.WaitGroup
	for range crashWriters {
		wg.Go(func() {
			for {
				id := next.Add(1)
				if id > crashWrites {
					return
				}
				if err := s.AppendEvent(ctx, Event{Kind: "crash_test", Device: strconv.FormatInt(id, 10)}); err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	fmt.Fprintf(os.Stdout, "done batches=%d\n", s.Stats().Batches)
	io.Copy(io.Discard, os.Stdin)
	os.Exit(4) // the parent went away without killing us
}

// TestCrashKeepsAcknowledgedWrites SIGKILLs a writing process mid-stream and
// checks that every write it acknowledged is in the reopened database, which
// must pass PRAGMA integrity_check.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process writing 10,000 rows")
	}
	for _, dur := range []Durability{DurablePowerLoss, DurableProcessCrash} {
		t.Run(dur.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zhub.db")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperWriterProcess$")
			cmd.Env = append(os.Environ(), crashEnvPath+"="+path, crashEnvDurability+"="+strconv.Itoa(int(dur)))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}

			acked := make(map[int64]bool, crashWrites)
			ackedAtKill := 0
			finished := false
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				line := sc.Text()
				if rest, ok := strings.CutPrefix(line, "ack "); ok {
					id, err := strconv.ParseInt(rest, 10, 64)
					if err != nil {
						t.Fatalf("child printed %q", line)
					}
					acked[id] = true
				} else if strings.HasPrefix(line, "done") {
					finished = true
				}
				if ackedAtKill == 0 && len(acked) >= crashKillAfter {
					ackedAtKill = len(acked)
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatalf("kill: %v", err)
					}
				}
			}
			// Lines still in the pipe after the kill were printed after
			// their write returned: they count as acknowledged too.
			err = cmd.Wait()
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die of SIGKILL (%v); stderr:\n%s", err, stderr.String())
			}
			if finished || len(acked) >= crashWrites {
				t.Fatalf("child acknowledged all %d writes before the kill: not a mid-stream crash", len(acked))
			}

			s := openTest(t, Config{Path: path}) // runs quick_check
			var ok2 string
			if err := s.readers.QueryRow("PRAGMA integrity_check").Scan(&ok2); err != nil || ok2 != "ok" {
				t.Fatalf("integrity_check = %q, %v", ok2, err)
			}
			rows, err := s.readers.Query(`SELECT device FROM events WHERE kind = 'crash_test'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			found := make(map[int64]bool, len(acked))
			for rows.Next() {
				var dev string
				if err := rows.Scan(&dev); err != nil {
					t.Fatal(err)
				}
				id, err := strconv.ParseInt(dev, 10, 64)
				if err != nil || id < 1 || id > crashWrites || found[id] {
					t.Fatalf("unexpected row device=%q (duplicate or out of range)", dev)
				}
				found[id] = true
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			var lost []int64
			for id := range acked {
				if !found[id] {
					lost = append(lost, id)
				}
			}
			if len(lost) > 0 {
				t.Fatalf("%d acknowledged writes lost, e.g. %v", len(lost), lost[:min(len(lost), 10)])
			}
			t.Logf("killed after %d acks; %d acks read in total; %d rows in the database (%d committed but unacknowledged)",
				ackedAtKill, len(acked), len(found), len(found)-len(acked))
		})
	}
}
