package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zhubhq/zhub/hub/localapi"
)

const chatSynopsis = `zhub chat ["message"] [--json]`

// runChat sends a chat message through the daemon and streams the answer
// as it arrives; without a message it reads messages from an interactive
// prompt (one per line) and keeps the conversation going.
func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub chat", chatSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err != nil {
		return c.fail(err)
	}
	if len(pos) > 0 {
		_, err := c.chatOnce(ctx, localapi.ChatRequest{Text: strings.Join(pos, " ")})
		return c.fail(err)
	}
	interactive := terminal(stdin)
	if interactive {
		fmt.Fprintln(stdout, "Chat with zhub (an empty line or Ctrl-D ends).")
	}
	conv := ""
	sc := bufio.NewScanner(stdin)
	for {
		if interactive {
			fmt.Fprint(stdout, "you> ")
		}
		if !sc.Scan() {
			if interactive {
				fmt.Fprintln(stdout)
			}
			return c.fail(sc.Err())
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			if interactive {
				return exitOK
			}
			continue
		}
		next, err := c.chatOnce(ctx, localapi.ChatRequest{Text: text, Conversation: conv})
		if err != nil {
			if code := c.fail(err); !interactive || errors.Is(err, context.Canceled) || isConnectError(err) {
				return code
			}
			continue
		}
		conv = next
	}
}

func isConnectError(err error) bool {
	_, ok := errors.AsType[*localapi.ConnectError](err)
	return ok
}

// chatOnce streams one answer and returns the conversation id.
func (c *cli) chatOnce(ctx context.Context, req localapi.ChatRequest) (string, error) {
	st, err := c.api().Chat(ctx, req)
	if err != nil {
		return "", err
	}
	defer st.Close()
	midLine := false
	for {
		ch, err := st.Next()
		if err != nil {
			if midLine {
				fmt.Fprintln(c.stdout)
			}
			if errors.Is(err, io.EOF) {
				return "", errors.New("the answer ended early (is the daemon stopping?)")
			}
			return "", err
		}
		if c.json {
			c.printLine(ch)
			switch ch.Type {
			case localapi.ChunkComplete:
				return ch.Conversation, nil
			case localapi.ChunkError:
				return "", errors.New(ch.Error)
			}
			continue
		}
		switch ch.Type {
		case localapi.ChunkText:
			fmt.Fprint(c.stdout, ch.Text)
			midLine = !strings.HasSuffix(ch.Text, "\n")
		case localapi.ChunkMetadata:
			if s, ok := ch.Metadata["summary"].(string); ok && s != "" {
				if midLine {
					fmt.Fprintln(c.stdout)
					midLine = false
				}
				fmt.Fprintf(c.stdout, "  → %s\n", s)
			}
		case localapi.ChunkImage:
			if midLine {
				fmt.Fprintln(c.stdout)
				midLine = false
			}
			if ch.Image != nil {
				fmt.Fprintf(c.stdout, "  [image %q: %s, %d bytes; the web UI shows it]\n", ch.Image.Title, ch.Image.MIMEType, len(ch.Image.Data))
			}
		case localapi.ChunkComplete:
			if midLine {
				fmt.Fprintln(c.stdout)
			}
			return ch.Conversation, nil
		case localapi.ChunkError:
			if midLine {
				fmt.Fprintln(c.stdout)
			}
			return "", errors.New(ch.Error)
		}
	}
}
