package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

func TestSimHelpAndUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, exitOK, "join [KIND]"},
		{"no front end", nil, exitUsage, "--znp-pty"},
		{"bad listen", []string{"--listen", "127.0.0.1:1"}, exitUsage, "tcp://"},
		{"bad devices", []string{"--listen", "tcp://127.0.0.1:0", "--devices", "many"}, exitUsage, "none or default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := runSim(t.Context(), tc.args, strings.NewReader(""), &out, &errb); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("stderr lacks %q:\n%s", tc.want, errb.String())
			}
		})
	}
}

// TestSimControl runs `zhub sim` on a pty, drives the dongle with raw MT
// frames and the device population with control lines.
func TestSimControl(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pty front end is Linux only")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ttyZNP")
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- runSim(ctx, []string{"--znp-pty", path, "--state", filepath.Join(dir, "s.json"),
			"--trace", filepath.Join(dir, "trace.txt"), "--reset-delay", "5ms", "--device-delay", "2ms",
			"--confirm-delay", "1ms"}, stdinR, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	defer func() {
		cancel()
		stdinW.Close()
		if code := <-exited; code != exitOK {
			t.Errorf("zhub sim exit %d", code)
		}
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
		select {
		case l := <-lines:
			if !strings.HasPrefix(l, prefix) {
				t.Fatalf("stdout %q, want %q…", l, prefix)
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("no %q on stdout", prefix)
		}
		return ""
	}
	say := func(s string) {
		if _, err := io.WriteString(stdinW, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	expect("ready")

	port, err := zigbee.OpenPort(t.Context(), zigbee.PortConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	frames := make(chan znp.Frame, 64)
	go func() {
		sc := bufio.NewScanner(port)
		sc.Split(znp.SplitFrames)
		for sc.Scan() {
			if f, err := znp.ParseFrame(sc.Bytes()); err == nil {
				f.Payload = append([]byte(nil), f.Payload...)
				frames <- f
			}
		}
		close(frames)
	}()
	send := func(sub znp.Subsystem, id uint8, p []byte) {
		b, _ := znp.AppendFrame(nil, znp.Frame{Header: znp.Header{Type: znp.SREQ, Subsystem: sub, ID: id}, Payload: p})
		if _, err := port.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	waitFrame := func(ok func(znp.Frame) bool) {
		t.Helper()
		for {
			select {
			case f := <-frames:
				if ok(f) {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatal("frame did not come")
			}
		}
	}
	// Form a network (BDB formation) and open it.
	send(znp.APPCNF, 0x05, []byte{0x04})
	waitFrame(func(f znp.Frame) bool { return f.Subsystem == znp.ZDO && f.ID == 0xC0 && f.Payload[0] == 9 })
	send(znp.AF, 0x00, []byte{1, 0x04, 0x01, 0x05, 0x00, 0, 0, 0, 0})
	say("join dimmable")
	send(znp.ZDO, 0x36, []byte{0x0F, 0xFC, 0xFF, 0xFE, 0x01})
	joined := strings.Fields(expect("joined "))
	if len(joined) != 3 {
		t.Fatalf("joined line %q", joined)
	}
	say("report " + joined[2] + " 3")
	expect("reported 3")
	var reports int
	waitFrame(func(f znp.Frame) bool {
		if f.Subsystem == znp.AF && f.ID == 0x81 && f.Payload[17] == 0x18 && f.Payload[19] == 0x0A {
			reports++
		}
		return reports == 3
	})
	say("devices")
	expect("device " + joined[1] + " " + joined[2] + " dimmable joined")
	expect("ok")
	say("leave " + joined[1])
	expect("left " + joined[1])
	say("leave " + joined[1])
	expect("error")
	say("bogus")
	expect("error")
	say("reset")
	expect("reset")
	waitFrame(func(f znp.Frame) bool { return f.Subsystem == znp.SYS && f.ID == 0x80 && f.Payload[0] == 2 })
	say("unplug")
	expect("unplugged")
	say("replug")
	expect("replugged")
}
