package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Prefix starts every secret, so a leaked one is recognisable (secret
// scanners, log redaction) and a pasted string is checked cheaply.
const Prefix = "zhub_"

// FirstTokenName is the name EnsureFirstToken gives the token it creates.
const FirstTokenName = "initial"

// touchEvery bounds how often a token's last use is written to the store.
const touchEvery = time.Minute

// hashPrefix names the hash function in stored hashes, so another one can
// be introduced without ambiguity.
const hashPrefix = "sha256:"

// Record is a token as the Store keeps it: never the secret.
type Record struct {
	Name       string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// Store persists token records; hub/auth/authstore adapts hub/store to it.
type Store interface {
	// PutToken inserts or replaces the record of r.Name.
	PutToken(ctx context.Context, r Record) error
	// Tokens returns every record.
	Tokens(ctx context.Context) ([]Record, error)
	// DeleteToken removes a record.
	DeleteToken(ctx context.Context, name string) error
	// TouchToken records the last use of a token.
	TouchToken(ctx context.Context, name string, at time.Time) error
}

// Config configures Tokens. Store is required.
type Config struct {
	Store Store
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Token describes a token without its secret.
type Token struct {
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Tokens issues, checks and revokes network-client tokens.
type Tokens struct {
	store Store
	log   *slog.Logger
	now   func() time.Time

	wmu sync.Mutex // serialises Create, Revoke and EnsureFirstToken

	mu       sync.RWMutex
	loaded   bool
	recs     []entry // ordered by name
	onRevoke []hook
	nextHook uint64
}

type hook struct {
	id uint64
	fn func(string)
}

type entry struct {
	Record
	hash    [sha256.Size]byte
	touched time.Time // last TouchToken written
}

// New returns a Tokens over cfg.Store. It does no I/O: the records are
// loaded on first use.
func New(cfg Config) (*Tokens, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("auth: config: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Tokens{store: cfg.Store, log: cfg.Logger, now: cfg.Now}, nil
}

// ValidName reports whether name can name a token: 1 to 64 letters,
// digits, '.', '_' or '-'.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// load reads the records once. Callers hold no lock.
func (t *Tokens) load(ctx context.Context) error {
	t.mu.RLock()
	done := t.loaded
	t.mu.RUnlock()
	if done {
		return nil
	}
	recs, err := t.store.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("auth: load tokens: %w", err)
	}
	es := make([]entry, 0, len(recs))
	for _, r := range recs {
		h, ok := parseHash(r.Hash)
		if !ok {
			// An unreadable hash can never match; keep the name listed
			// so it can be revoked.
			t.log.Warn("token has an unreadable hash", "event", "token_bad_hash", "token", r.Name)
		}
		es = append(es, entry{Record: r, hash: h, touched: r.LastUsedAt})
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.Name, b.Name) })
	t.mu.Lock()
	if !t.loaded {
		t.recs, t.loaded = es, true
	}
	t.mu.Unlock()
	return nil
}

func parseHash(s string) ([sha256.Size]byte, bool) {
	var h [sha256.Size]byte
	hexed, ok := strings.CutPrefix(s, hashPrefix)
	if !ok || hex.DecodedLen(len(hexed)) != len(h) {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(hexed)); err != nil {
		return h, false
	}
	return h, true
}

func formatHash(h [sha256.Size]byte) string { return hashPrefix + hex.EncodeToString(h[:]) }

func newSecret() (string, [sha256.Size]byte) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	s := Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return s, sha256.Sum256([]byte(s))
}

// Create makes a new token and returns its secret, which is not kept
// anywhere: the caller shows it once.
func (t *Tokens) Create(ctx context.Context, name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("auth: create token %q: %w (use 1-64 letters, digits, '.', '_' or '-')", name, ErrInvalidName)
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	return t.createLocked(ctx, name)
}

func (t *Tokens) createLocked(ctx context.Context, name string) (string, error) {
	if err := t.load(ctx); err != nil {
		return "", err
	}
	t.mu.RLock()
	_, exists := t.find(name)
	t.mu.RUnlock()
	if exists {
		return "", fmt.Errorf("auth: create token %q: %w", name, ErrExists)
	}
	secret, h := newSecret()
	rec := Record{Name: name, Hash: formatHash(h), CreatedAt: t.now()}
	if err := t.store.PutToken(ctx, rec); err != nil {
		return "", fmt.Errorf("auth: create token %q: %w", name, err)
	}
	t.mu.Lock()
	i, _ := t.find(name)
	t.recs = slices.Insert(t.recs, i, entry{Record: rec, hash: h})
	t.mu.Unlock()
	t.log.Info("token created", "event", "token_created", "token", name)
	return secret, nil
}

// find returns the index of name in recs, or where it would go. Callers
// hold mu.
func (t *Tokens) find(name string) (int, bool) {
	return slices.BinarySearchFunc(t.recs, name, func(e entry, n string) int { return strings.Compare(e.Name, n) })
}

// Verify reports whether secret is a valid token and names it. It compares
// in constant time against every token. A failed store read counts as a
// refusal (and is logged); a failure to record the last use does not.
func (t *Tokens) Verify(ctx context.Context, secret string) (string, bool) {
	if err := t.load(ctx); err != nil {
		t.log.Error("token check failed", "event", "token_load_failed", "err", err)
		return "", false
	}
	h := sha256.Sum256([]byte(secret))
	now := t.now()
	t.mu.Lock()
	match := -1
	for i := range t.recs {
		if subtle.ConstantTimeCompare(h[:], t.recs[i].hash[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		t.mu.Unlock()
		return "", false
	}
	e := &t.recs[match]
	name := e.Name
	e.LastUsedAt = now
	touch := now.Sub(e.touched) >= touchEvery
	if touch {
		e.touched = now
	}
	t.mu.Unlock()
	if touch {
		if err := t.store.TouchToken(ctx, name, now); err != nil && ctx.Err() == nil {
			t.log.Warn("recording token use failed", "event", "token_touch_failed", "token", name, "err", err)
		}
	}
	return name, true
}

// List returns the tokens, ordered by name, without secrets.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	if err := t.load(ctx); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Token, len(t.recs))
	for i, e := range t.recs {
		out[i] = Token{Name: e.Name, CreatedAt: e.CreatedAt, LastUsedAt: e.LastUsedAt}
	}
	return out, nil
}

// Revoke deletes a token; from then on Verify refuses its secret. The
// OnRevoke callbacks run before Revoke returns.
func (t *Tokens) Revoke(ctx context.Context, name string) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if err := t.load(ctx); err != nil {
		return err
	}
	t.mu.RLock()
	_, ok := t.find(name)
	t.mu.RUnlock()
	if !ok {
		return fmt.Errorf("auth: revoke token %q: %w", name, ErrNotFound)
	}
	if err := t.store.DeleteToken(ctx, name); err != nil {
		return fmt.Errorf("auth: revoke token %q: %w", name, err)
	}
	t.mu.Lock()
	if i, ok := t.find(name); ok {
		t.recs = slices.Delete(t.recs, i, i+1)
	}
	fns := slices.Clone(t.onRevoke)
	t.mu.Unlock()
	t.log.Info("token revoked", "event", "token_revoked", "token", name)
	for _, h := range fns {
		h.fn(name)
	}
	return nil
}

// OnRevoke registers fn to be called with the name of every token revoked
// from now on. It returns a function that unregisters fn (safe to call more
// than once).
func (t *Tokens) OnRevoke(fn func(name string)) (cancel func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextHook++
	h := hook{id: t.nextHook, fn: fn}
	t.onRevoke = append(t.onRevoke, h)
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.onRevoke = slices.DeleteFunc(t.onRevoke, func(x hook) bool { return x.id == h.id })
	}
}

// EnsureFirstToken creates a token named FirstTokenName when no token
// exists at all, and returns its secret with created true. When any token
// exists it returns "", false. The caller shows the secret once (the
// gateway logs a one-time login URL) and must not log it otherwise.
func (t *Tokens) EnsureFirstToken(ctx context.Context) (string, bool, error) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if err := t.load(ctx); err != nil {
		return "", false, err
	}
	t.mu.RLock()
	n := len(t.recs)
	t.mu.RUnlock()
	if n > 0 {
		return "", false, nil
	}
	secret, err := t.createLocked(ctx, FirstTokenName)
	if err != nil {
		return "", false, err
	}
	return secret, true, nil
}
