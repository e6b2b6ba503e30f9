package ws

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestHealthEndpoint(t *testing.T) {
	h := NewHealthTracker("coordinator", "store", "mqtt")
	s, err := New(Config{Listen: "127.0.0.1:0", Version: "v-test", Health: h})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	url := "http://" + s.Addr().String() + "/health"

	get := func() HealthReport {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		var r HealthReport
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := get(); r.Status != StatusStarting || r.Version != "v-test" || len(r.Components) != 3 {
		t.Errorf("initial report %+v", r)
	}
	h.Set("mqtt", StateDisabled, nil)
	h.Set("store", StateOK, nil)
	h.Set("coordinator", StateOK, nil)
	if r := get(); r.Status != StatusOK {
		t.Errorf("all ok: status %q", r.Status)
	}
	h.Set("coordinator", StateDegraded, errors.New("open /dev/ttyUSB0: no such serial port"))
	r := get()
	if r.Status != StatusDegraded || !strings.Contains(r.Components["coordinator"].LastError, "no such serial port") {
		t.Errorf("degraded report %+v", r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestListenPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, _ := New(Config{Listen: ln.Addr().String(), Health: NewHealthTracker()})
	err = s.Listen()
	if err == nil || !strings.Contains(err.Error(), "http.listen") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("err = %v", err)
	}
}
