package llmtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Response is a parsed fixture.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ParseResponse parses the fixture format described in the package
// documentation.
func ParseResponse(b []byte) (Response, error) {
	head, body, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		head, body = bytes.TrimRight(b, "\n"), nil
	}
	lines := strings.Split(string(head), "\n")
	code, found := strings.CutPrefix(lines[0], "HTTP ")
	if !found {
		return Response{}, fmt.Errorf("llmtest: fixture must start with \"HTTP <status>\", got %q", lines[0])
	}
	status, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		return Response{}, fmt.Errorf("llmtest: fixture status: %w", err)
	}
	h := http.Header{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return Response{}, fmt.Errorf("llmtest: fixture header line %q", l)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return Response{Status: status, Header: h, Body: body}, nil
}

// Request is what the client sent.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Server replays fixtures: the n-th request gets the n-th response.
type Server struct {
	*httptest.Server
	t     testing.TB
	mu    sync.Mutex
	resps []Response
	reqs  []Request
}

// NewServer starts a server replaying the named files from dir (usually
// "testdata") in order. It is closed when the test ends.
func NewServer(t testing.TB, dir string, files ...string) *Server {
	t.Helper()
	var resps []Response
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("llmtest: %v", err)
		}
		r, err := ParseResponse(b)
		if err != nil {
			t.Fatalf("llmtest: %s: %v", f, err)
		}
		resps = append(resps, r)
	}
	return NewServerResponses(t, resps...)
}

// NewServerResponses is NewServer with responses built in code.
func NewServerResponses(t testing.TB, resps ...Response) *Server {
	s := &Server{t: t, resps: resps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	var resp Response
	ok := n < len(s.resps)
	if ok {
		resp = s.resps[n]
	}
	s.mu.Unlock()
	if !ok {
		s.t.Errorf("llmtest: unexpected request %d to %s", n+1, r.URL.Path)
		http.Error(w, `{"error":"no more fixtures"}`, http.StatusTeapot)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.Status)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	sc := bufio.NewScanner(bytes.NewReader(resp.Body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		switch line := sc.Text(); line {
		case "!stall":
			_ = rc.Flush()
			<-r.Context().Done()
			return
		case "!cut":
			_ = rc.Flush()
			panic(http.ErrAbortHandler)
		default:
			if _, err := io.WriteString(w, line+"\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}
