package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
)

func TestSimEZSPUsage(t *testing.T) {
	var out, errb bytes.Buffer
	code := runSim(t.Context(), []string{"--znp-pty", "/tmp/a", "--ezsp-pty", "/tmp/b"}, strings.NewReader(""), &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "exclude each other") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	errb.Reset()
	code = runSim(t.Context(), []string{"--ezsp-pty", filepath.Join(t.TempDir(), "p"), "--ezsp-version", "8"}, strings.NewReader(""), &out, &errb)
	if code != exitFailed || !strings.Contains(errb.String(), "EZSP version 8") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

// TestSimEZSPPty runs `zhub sim --ezsp-pty` and the EZSP driver on the pty,
// through the real serial port code: the network forms, a light joins
// through the control channel and is switched.
func TestSimEZSPPty(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pty front end is Linux only")
	}
	for _, version := range []string{"13", "14"} {
		t.Run("v"+version, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ttyEZSP")
			stdinR, stdinW := io.Pipe()
			stdoutR, stdoutW := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			exited := make(chan int, 1)
			trace := filepath.Join(dir, "trace.txt")
			go func() {
				exited <- runSim(ctx, []string{"--ezsp-pty", path, "--ezsp-version", version, "--state", filepath.Join(dir, "s.json"),
					"--trace", trace, "--reset-delay", "5ms", "--device-delay", "2ms", "--confirm-delay", "1ms"}, stdinR, stdoutW, io.Discard)
				stdoutW.Close()
			}()
			lines := make(chan string, 64)
			go func() {
				sc := bufio.NewScanner(stdoutR)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			expect := func(prefix string) string {
				t.Helper()
				for {
					select {
					case l := <-lines:
						if strings.HasPrefix(l, prefix) {
							return l
						}
					case <-time.After(20 * time.Second):
						t.Fatalf("no %q line from zhub sim", prefix)
					}
				}
			}
			expect("ready")

			pc := zigbee.PortConfig{Path: path}
			d, err := ezsp.New(ezsp.Config{Open: func(ctx context.Context) (io.ReadWriteCloser, error) { return zigbee.OpenPort(ctx, pc) },
				Network: zigbee.NetworkConfig{Channel: 20, GenerateKey: true}})
			if err != nil {
				t.Fatal(err)
			}
			dctx, dcancel := context.WithCancel(ctx)
			runDone := make(chan error, 1)
			go func() { runDone <- d.Run(dctx) }()
			defer func() {
				dcancel()
				<-runDone
				cancel()
				stdinW.Close()
				if code := <-exited; code != exitOK {
					t.Errorf("zhub sim exit %d", code)
				}
			}()
			var nwk zigbee.NWK
			for ev := range d.Events() {
				if e, ok := ev.(zigbee.NetworkUp); ok {
					if e.Info.Channel != 20 || e.Info.Firmware.Protocol != "EZSP v"+version {
						t.Fatalf("network %+v", e.Info)
					}
					if err := d.PermitJoin(ctx, time.Minute, 0); err != nil {
						t.Fatal(err)
					}
					io.WriteString(stdinW, "join light\n")
				}
				if e, ok := ev.(zigbee.DeviceAnnounced); ok {
					nwk = e.NWK
					break
				}
			}
			expect("joined ")
			err = d.Send(ctx, zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Profile: zigbee.ProfileHA, Cluster: 6,
				Options: zigbee.TxAckRequest, Payload: []byte{0x01, 0x01, 0x01}})
			if err != nil {
				t.Fatalf("switch on: %v", err)
			}
			data, err := os.ReadFile(trace)
			if err != nil || !bytes.Contains(data, []byte(" < 1AC1020B0A527E")) {
				t.Fatalf("trace lacks the RSTACK: %v", err)
			}
			var decoded bytes.Buffer
			if err := ezsp.DecodeTrace(bytes.NewReader(data), &decoded); err != nil {
				t.Fatalf("the sim's trace does not decode: %v", err)
			}
			if !strings.Contains(decoded.String(), "cmd sendUnicast") {
				t.Fatalf("decoded trace lacks sendUnicast:\n%s", decoded.String())
			}
		})
	}
}
