package ws_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/ws"
)

func TestAuthRefusedBeforeUpgrade(t *testing.T) {
	s := startServer(t, func(c *ws.GatewayConfig) { c.AllowedOrigins = []string{"https://dash.example:8123"} })
	revoked, err := env.tokens.Create(t.Context(), "to-revoke")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.tokens.Revoke(t.Context(), "to-revoke"); err != nil {
		t.Fatal(err)
	}
	wrong := "zhub_" + strings.Repeat("A", 43)
	for _, tc := range []struct {
		name   string
		query  string
		header http.Header
		status int
	}{
		{"no token", "", nil, http.StatusUnauthorized},
		{"wrong bearer token", "", bearer(wrong), http.StatusUnauthorized},
		{"revoked token", "", bearer(revoked), http.StatusUnauthorized},
		{"wrong token in query", "?token=" + url.QueryEscape(wrong), nil, http.StatusUnauthorized},
		{"wrong cookie", "", http.Header{"Cookie": {ws.SessionCookie + "=" + wrong}}, http.StatusUnauthorized},
		{"basic auth scheme", "", http.Header{"Authorization": {"Basic " + env.secret}}, http.StatusUnauthorized},
		{"wrong origin", "", http.Header{"Authorization": {"Bearer " + env.secret}, "Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"wrong origin, cookie", "", http.Header{"Cookie": {ws.SessionCookie + "=" + env.secret}, "Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"same host other port", "", http.Header{"Authorization": {"Bearer " + env.secret}, "Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
		{"good bearer", "", bearer(env.secret), http.StatusSwitchingProtocols},
		{"good query", "?token=" + url.QueryEscape(env.secret), nil, http.StatusSwitchingProtocols},
		{"good cookie, same origin", "", http.Header{"Cookie": {ws.SessionCookie + "=" + env.secret}, "Origin": {s.url}}, http.StatusSwitchingProtocols},
		{"allowed origin", "", http.Header{"Authorization": {"Bearer " + env.secret}, "Origin": {"https://DASH.example:8123"}}, http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wc, resp, err := websocket.DefaultDialer.Dial(s.wsURL()+tc.query, tc.header)
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d (%v)", resp.StatusCode, tc.status, err)
			}
			if wc != nil {
				_ = wc.Close()
			}
		})
	}
	logs := s.logs.String()
	for _, secret := range []string{env.secret, revoked, wrong} {
		if strings.Contains(logs, secret) {
			t.Errorf("a token appears in the logs:\n%s", logs)
		}
	}
	if !strings.Contains(logs, `"event":"ws_refused"`) {
		t.Errorf("refusals not logged")
	}
}

func TestRevokeClosesLiveConnections(t *testing.T) {
	s := startServer(t, nil)
	secret, err := env.tokens.Create(t.Context(), "phone")
	if err != nil {
		t.Fatal(err)
	}
	phone := s.dialHeader(t, bearer(secret))
	phone.next() // welcome
	other := s.dial(t)
	if err := env.tokens.Revoke(t.Context(), "phone"); err != nil {
		t.Fatal(err)
	}
	var rerr error
	for rerr == nil {
		_, rerr = phone.read()
	}
	if !websocket.IsCloseError(rerr, ws.CloseTokenRevoked) {
		t.Errorf("revoked client: %v, want close %d", rerr, ws.CloseTokenRevoked)
	}
	if rs := other.until(other.send("ping", nil)); rs[len(rs)-1].Status != ws.StatusComplete {
		t.Errorf("other client: %s", show(rs))
	}
	if strings.Contains(s.logs.String(), secret) {
		t.Errorf("token in logs")
	}
}

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestLoginURLSetsSessionCookie(t *testing.T) {
	s := startServer(t, nil)
	resp, err := noRedirect.Get(s.url + "/?token=" + url.QueryEscape(env.secret))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == ws.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || cookie.MaxAge <= 0 {
		t.Fatalf("session cookie %+v", cookie)
	}
	// The cookie authenticates the WebSocket and /auth/check.
	c := s.dialHeader(t, http.Header{"Cookie": {cookie.String()}, "Origin": {s.url}})
	if w := c.next(); w.RequestID != ws.WelcomeID {
		t.Errorf("welcome %s", show(w))
	}
	req, _ := http.NewRequest("GET", s.url+"/auth/check", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var check struct {
		Authenticated bool
		Client        string
	}
	_ = json.NewDecoder(resp.Body).Decode(&check)
	resp.Body.Close()
	if resp.StatusCode != 200 || !check.Authenticated || check.Client != "tester" {
		t.Errorf("auth check %d %+v", resp.StatusCode, check)
	}
	// A bad login link is refused and sets nothing.
	resp, err = noRedirect.Get(s.url + "/?token=zhub_nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("bad login: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	resp, err = http.Get(s.url + "/auth/check")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("auth check without cookie: %d", resp.StatusCode)
	}
	if strings.Contains(s.logs.String(), env.secret) {
		t.Errorf("token in logs")
	}
}

func TestUIAndHealth(t *testing.T) {
	s := startServer(t, nil)
	for _, tc := range []struct{ path, contains, ctype string }{
		{"/", `<script src="/ui/app.js"`, "text/html"},
		{"/ui/app.js", "new WebSocket(", "javascript"},
		{"/ui/style.css", ".device-list", "text/css"},
	} {
		resp, err := http.Get(s.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), tc.contains) || !strings.Contains(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", tc.path, csp)
		}
	}
	c := s.dial(t)
	c.nextOf(c.send("subscribe", nil))
	health := func(h http.Header) ws.HealthReport {
		req, _ := http.NewRequest("GET", s.url+"/health", nil)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r ws.HealthReport
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := health(nil); r.Connections != 1 || r.Clients != nil {
		t.Errorf("anonymous health: %+v", r)
	}
	r := health(bearer(env.secret))
	if r.Connections != 1 || len(r.Clients) != 1 || r.Clients[0].Client != "tester" || r.Clients[0].Subscriptions != 1 {
		t.Errorf("authenticated health: %+v", r)
	}
}
