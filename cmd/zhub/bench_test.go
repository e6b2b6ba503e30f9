package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startDaemon starts the real binary on the embedded default with the given
// data directory and returns it once systemd would have heard READY=1.
func startDaemon(b testing.TB, dataDir string) (*exec.Cmd, time.Duration) {
	b.Helper()
	sock := filepath.Join(b.TempDir(), "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer notify.Close()
	cmd := exec.Command(zhubBinaryForBench(b), "serve")
	cmd.Env = baseEnv(b, "ZHUB_DATA_DIR="+dataDir, "ZHUB_HTTP_LISTEN=127.0.0.1:0", "ZHUB_MQTT_ENABLED=false",
		"NOTIFY_SOCKET="+sock, "ZHUB_LOG_LEVEL=warn")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	notify.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 64)
	for {
		n, err := notify.Read(buf)
		if err != nil {
			cmd.Process.Kill()
			b.Fatalf("no READY=1: %v", err)
		}
		if string(buf[:n]) == "READY=1" {
			return cmd, time.Since(start)
		}
	}
}

func stopDaemon(b testing.TB, cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

// BenchmarkStartToReady measures process start to READY=1 on an already
// formed network (the emulated dongle resumes it), as a user restarting the
// service sees it. Budget: 70 ms (Zigbee2MQTT: 0.7 s).
func BenchmarkStartToReady(b *testing.B) {
	dataDir := b.TempDir()
	cmd, _ := startDaemon(b, dataDir) // first start forms the network
	stopDaemon(b, cmd)
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		cmd, d := startDaemon(b, dataDir)
		total += d
		b.StopTimer()
		stopDaemon(b, cmd)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/ready")
}

// BenchmarkIdleRSS reports the daemon's resident memory after it has been
// idle for a second on the embedded default (driver + emulated dongle +
// store + HTTP). Budget: 9 MB (Zigbee2MQTT: 90 MB).
func BenchmarkIdleRSS(b *testing.B) {
	dataDir := b.TempDir()
	for range b.N {
		cmd, _ := startDaemon(b, dataDir)
		time.Sleep(time.Second) // let start-up garbage be collected; this measures memory, not time
		rss, anon, file := readRSS(b, cmd.Process.Pid)
		stopDaemon(b, cmd)
		b.ReportMetric(float64(rss)/1024, "MB-rss")
		b.ReportMetric(float64(anon)/1024, "MB-anon")
		b.ReportMetric(float64(file)/1024, "MB-file")
	}
}

// readRSS returns VmRSS and its two parts: RssAnon, the memory the daemon
// holds privately (Go heap, stacks, SQLite's cache), and RssFile, pages of
// the executable mapped from the page cache (shared and reclaimable; recent
// kernels map the binary in large folios, so it is close to the file size).
func readRSS(b testing.TB, pid int) (rssKB, anonKB, fileKB int) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rssKB = n
		case "RssAnon":
			anonKB = n
		case "RssFile":
			fileKB = n
		}
	}
	return rssKB, anonKB, fileKB
}
