// Package auth issues and checks the tokens that network clients (the
// WebSocket gateway, MCP over HTTP) present to the daemon.
//
// Contracts:
//   - A secret is "zhub_" followed by 32 random bytes in unpadded base64url
//     (48 characters in all). It is returned once, by Create or
//     EnsureFirstToken, and never stored, logged or returned again: the
//     store keeps only "sha256:<hex>" of it. SHA-256 without a salt is
//     enough for 256-bit random secrets (nothing to brute-force).
//   - Verify hashes the presented secret and compares it with every known
//     hash using crypto/subtle, so its timing does not depend on which
//     token matched or how much of a hash matched.
//   - Tokens are loaded from the Store on first use and kept in memory;
//     this process is the only writer (the CLI goes through the daemon's
//     local API). Every method is safe for concurrent use.
//   - Revoke deletes the token, then calls every OnRevoke callback with its
//     name, synchronously and in registration order, outside any lock, so
//     a gateway can close that token's live connections. Callbacks must not
//     block for long.
//   - Nothing here logs a secret or a hash; records carry the token name.
package auth
