package mcp_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/zhubhq/zhub/mcp"
)

// The client closing its stdout while the daemon still sends (a
// notification racing the close) ends the bridge cleanly: it is how a
// desktop assistant quits, not a failure to report.
func TestBridgeClientGoneIsCleanEnd(t *testing.T) {
	client, daemon := net.Pipe()
	go func() {
		// A daemon that accepts the upgrade and keeps talking.
		br := bufio.NewReader(daemon)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(daemon, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+mcp.StdioUpgrade+"\r\n\r\n")
		for {
			if _, err := io.WriteString(daemon, `{"jsonrpc":"2.0","method":"notifications/resources/updated"}`+"\n"); err != nil {
				return
			}
		}
	}()
	stdoutR, stdoutW := io.Pipe()
	stdoutR.Close() // the assistant is gone
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	done := make(chan error, 1)
	go func() { done <- mcp.Bridge(t.Context(), client, stdinR, stdoutW) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("bridge: %v, want a clean end", err)
		}
	case <-time.After(guard):
		t.Fatal("the bridge did not end when its stdout reader went away")
	}
}
