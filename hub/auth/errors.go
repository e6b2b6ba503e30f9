package auth

import "errors"

// Errors of the package. Every error starts with "auth: " and wraps at most
// one of these; match with errors.Is.
var (
	// ErrInvalidName: a token name is empty, too long, or has characters
	// other than letters, digits, '.', '_' and '-'.
	ErrInvalidName = errors.New("invalid token name")
	// ErrExists: a token with this name already exists (revoke it first).
	ErrExists = errors.New("token already exists")
	// ErrNotFound: no token has this name.
	ErrNotFound = errors.New("no such token")
)
