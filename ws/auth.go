package ws

import (
	"net/http"
	"strings"
	"time"
)

// SessionCookie is the name of the browser's session cookie. It holds the
// token itself (HttpOnly, SameSite=Strict), so revoking the token logs the
// browser out and a daemon restart does not.
const SessionCookie = "zhub_session"

// sessionMaxAge is how long a browser keeps the session cookie.
const sessionMaxAge = 365 * 24 * time.Hour

// presentedToken returns the secret a request carries and where it came
// from: the Authorization header (Bearer), the ?token= query parameter, or
// the session cookie, in that order. The first one present is the one
// checked.
func presentedToken(r *http.Request) (secret, source string) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest), "header"
		}
		return "", "header"
	}
	if q := r.URL.Query(); q.Has("token") {
		return q.Get("token"), "query"
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value, "cookie"
	}
	return "", ""
}

// authenticate returns the name of the request's valid token, or "" and a
// short reason that never contains the secret.
func (g *Gateway) authenticate(r *http.Request) (client, why string) {
	secret, source := presentedToken(r)
	if source == "" {
		return "", "no token"
	}
	if secret == "" {
		return "", "empty or malformed " + source + " token"
	}
	name, ok := g.cfg.Tokens.Verify(r.Context(), secret)
	if !ok {
		return "", "invalid or revoked " + source + " token"
	}
	return name, ""
}

// handleLogin serves GET /?token=...: a valid token becomes the session
// cookie and the browser is sent on to "/" so the token leaves the address
// bar and the history; an invalid one gets 401.
func (g *Gateway) handleLogin(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	name, why := g.authenticate(r)
	if name == "" {
		g.log.Warn("login refused: "+why, "event", "ws_login_refused", "reason", why, "remote", r.RemoteAddr)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("zhub: this login link is not valid (the token is wrong or was revoked).\n" +
			"Create a new token with `zhub token create --name browser` and open http://<host>:<port>/?token=<secret>.\n"))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    r.URL.Query().Get("token"),
		Path:     "/",
		MaxAge:   int(sessionMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	g.log.Info("browser logged in", "event", "ws_login", "client", name, "remote", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// handleLogout clears the session cookie.
func (g *Gateway) handleLogout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !g.originAllowed(r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// handleAuthCheck answers 200 with the token's name when the request is
// authenticated and 401 otherwise; the UI uses it to tell "not logged in"
// from "server down" when its WebSocket cannot connect.
func (g *Gateway) handleAuthCheck(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !g.originAllowed(r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	name, why := g.authenticate(r)
	w.Header().Set("Content-Type", "application/json")
	if name == "" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"authenticated":false,"reason":` + quote(why) + "}\n"))
		return
	}
	_, _ = w.Write([]byte(`{"authenticated":true,"client":` + quote(name) + "}\n"))
}

func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }
