package ws

import (
	"embed"
	"io/fs"
	"net/http"
)

// uiFiles is the web UI: plain HTML, CSS and JavaScript, no build step and
// nothing fetched from elsewhere (the hub is often offline).
//
//go:embed ui/index.html ui/app.js ui/style.css
var uiFiles embed.FS

// contentSecurityPolicy keeps the UI to its own files: no inline script,
// no other origin; images only from itself or data: URLs (chat charts).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func uiHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// handleIndex serves the UI page, or logs a browser in when the URL
// carries ?token=.
func (g *Gateway) handleIndex(w http.ResponseWriter, r *http.Request) {
	uiHeaders(w)
	if r.URL.Query().Has("token") {
		g.handleLogin(w, r)
		return
	}
	noStore(w)
	http.ServeFileFS(w, r, uiFiles, "ui/index.html")
}

// handleAsset serves /ui/<file>.
func (g *Gateway) handleAsset() http.Handler {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/ui/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uiHeaders(w)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// routes registers the gateway's handlers on mux.
func (g *Gateway) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ws", g.handleWS)
	mux.HandleFunc("GET /{$}", g.handleIndex)
	mux.Handle("GET /ui/", g.handleAsset())
	mux.HandleFunc("GET /auth/check", g.handleAuthCheck)
	mux.HandleFunc("POST /auth/logout", g.handleLogout)
}
