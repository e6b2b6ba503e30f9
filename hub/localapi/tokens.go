package localapi

import (
	"net/http"
)

var errNoTokens = &codedError{http.StatusServiceUnavailable, CodeStarting, "token service not available yet; try again in a few seconds"}

func (s *Server) tokenService() (Tokens, error) {
	p := s.tokens.Load()
	if p == nil {
		return nil, errNoTokens
	}
	return *p, nil
}

func (s *Server) serveTokens(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tokenService()
	if err != nil {
		return err
	}
	list, err := t.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]Token, len(list))
	for i, x := range list {
		out[i] = Token{Name: x.Name, CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsedAt}
	}
	return writeJSON(w, out)
}

func (s *Server) serveTokenCreate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tokenService()
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	secret, err := t.Create(r.Context(), req.Name)
	if err != nil {
		return err
	}
	created := s.now()
	if list, err := t.List(r.Context()); err == nil {
		for _, x := range list {
			if x.Name == req.Name {
				created = x.CreatedAt
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, NewToken{Name: req.Name, Secret: secret, CreatedAt: created})
}

func (s *Server) serveTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tokenService()
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return badRequest("missing name")
	}
	if err := t.Revoke(r.Context(), req.Name); err != nil {
		return err
	}
	return writeJSON(w, RevokeResult{Revoked: req.Name})
}
