package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/auth/authstore"
	"github.com/zhubhq/zhub/hub/store"
)

// openStore opens a real SQLite store in dir, closed at cleanup.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), store.Config{Path: filepath.Join(dir, "zhub.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func newTokens(t *testing.T, s *store.Store, log *slog.Logger, now func() time.Time) *auth.Tokens {
	t.Helper()
	tk, err := auth.New(auth.Config{Store: authstore.Store{S: s}, Logger: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestCreateVerifyRevoke(t *testing.T) {
	ctx := t.Context()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := openStore(t, t.TempDir())
	tk := newTokens(t, s, log, nil)

	secret, err := tk.Create(ctx, "phone")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, auth.Prefix) || len(secret) != len(auth.Prefix)+43 {
		t.Fatalf("secret %q: want %s + 43 base64url characters", secret, auth.Prefix)
	}
	other, err := tk.Create(ctx, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if other == secret {
		t.Fatal("two tokens got the same secret")
	}

	tests := []struct {
		name, secret, want string
		ok                 bool
	}{
		{"first token", secret, "phone", true},
		{"second token", other, "laptop", true},
		{"empty", "", "", false},
		{"prefix only", auth.Prefix, "", false},
		{"one character changed", secret[:len(secret)-1] + flip(secret[len(secret)-1]), "", false},
		{"truncated", secret[:len(secret)-1], "", false},
		{"with trailing space", secret + " ", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, ok := tk.Verify(ctx, tc.secret)
			if name != tc.want || ok != tc.ok {
				t.Errorf("Verify = %q, %v; want %q, %v", name, ok, tc.want, tc.ok)
			}
		})
	}

	// The store holds a hash, never the secret.
	recs, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(r.Hash, secret[len(auth.Prefix):]) || strings.Contains(r.Hash, other[len(auth.Prefix):]) || !strings.HasPrefix(r.Hash, "sha256:") {
			t.Errorf("stored hash of %s looks wrong: %q", r.Name, r.Hash)
		}
	}

	var revoked []string
	cancel := tk.OnRevoke(func(name string) { revoked = append(revoked, name) })
	if err := tk.Revoke(ctx, "phone"); err != nil {
		t.Fatal(err)
	}
	if _, ok := tk.Verify(ctx, secret); ok {
		t.Error("revoked token still verifies")
	}
	if name, ok := tk.Verify(ctx, other); !ok || name != "laptop" {
		t.Errorf("other token after revoke = %q, %v", name, ok)
	}
	if err := tk.Revoke(ctx, "phone"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("second revoke: %v, want ErrNotFound", err)
	}
	cancel()
	cancel()
	if err := tk.Revoke(ctx, "laptop"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(revoked, ",") != "phone" {
		t.Errorf("OnRevoke saw %v, want [phone] (laptop was revoked after cancel)", revoked)
	}
	for _, leak := range []string{secret, other, secret[len(auth.Prefix):], other[len(auth.Prefix):]} {
		if strings.Contains(logs.String(), leak) {
			t.Fatalf("a secret appears in the logs:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"event":"token_revoked"`) {
		t.Errorf("no token_revoked record:\n%s", logs.String())
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestCreateRefuses(t *testing.T) {
	ctx := t.Context()
	tk := newTokens(t, openStore(t, t.TempDir()), nil, nil)
	if _, err := tk.Create(ctx, "ha"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		want        error
	}{
		{"duplicate", "ha", auth.ErrExists},
		{"empty", "", auth.ErrInvalidName},
		{"space", "my phone", auth.ErrInvalidName},
		{"slash", "a/b", auth.ErrInvalidName},
		{"non-ascii", "café", auth.ErrInvalidName},
		{"too long", strings.Repeat("x", 65), auth.ErrInvalidName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret, err := tk.Create(ctx, tc.token)
			if !errors.Is(err, tc.want) || secret != "" {
				t.Errorf("Create(%q) = %q, %v; want %v", tc.token, secret, err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	for _, ok := range []string{"a", "home-assistant", "node_red.2", strings.Repeat("x", 64)} {
		if !auth.ValidName(ok) {
			t.Errorf("ValidName(%q) = false", ok)
		}
	}
	list, err := tk.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "ha" {
		t.Errorf("List = %v, %v; want only ha", list, err)
	}
}

// TestPersistence: a restarted daemon (new store handle, new Tokens)
// accepts the same secrets and remembers the last use.
func TestPersistence(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	s := openStore(t, dir)
	tk := newTokens(t, s, nil, func() time.Time { return now })
	secret, err := tk.Create(ctx, "cli")
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Hour)
	if _, ok := tk.Verify(ctx, secret); !ok {
		t.Fatal("fresh token does not verify")
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s2 := openStore(t, dir)
	recs, _ := s2.Tokens(ctx)
	if len(recs) != 1 || !recs[0].LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("stored last use = %+v, want %v", recs, t0.Add(time.Hour))
	}
	tk2 := newTokens(t, s2, nil, func() time.Time { return now })
	if name, ok := tk2.Verify(ctx, secret); !ok || name != "cli" {
		t.Fatalf("after reopen Verify = %q, %v", name, ok)
	}
	list, err := tk2.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if !list[0].CreatedAt.Equal(t0) {
		t.Errorf("created_at = %v, want %v", list[0].CreatedAt, t0)
	}
	if !list[0].LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("listed last use = %v, want %v", list[0].LastUsedAt, t0.Add(time.Hour))
	}
}

func TestTouchIsRateLimited(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openStore(t, t.TempDir())
	tk := newTokens(t, s, nil, func() time.Time { return now })
	secret, _ := tk.Create(ctx, "ws")
	stored := func() time.Time {
		recs, err := s.Tokens(ctx)
		if err != nil || len(recs) != 1 {
			t.Fatalf("Tokens = %v, %v", recs, err)
		}
		return recs[0].LastUsedAt
	}
	steps := []struct {
		name       string
		advance    time.Duration
		wantStored time.Duration // offset from start
	}{
		{"first use is written", 0, 0},
		{"use 10 s later is not", 10 * time.Second, 0},
		{"use a minute after the write is", 50 * time.Second, time.Minute},
	}
	start := now
	for _, st := range steps {
		now = now.Add(st.advance)
		if _, ok := tk.Verify(ctx, secret); !ok {
			t.Fatalf("%s: does not verify", st.name)
		}
		if got := stored(); !got.Equal(start.Add(st.wantStored)) {
			t.Errorf("%s: stored last use %v, want %v", st.name, got, start.Add(st.wantStored))
		}
		list, _ := tk.List(ctx)
		if !list[0].LastUsedAt.Equal(now) {
			t.Errorf("%s: listed last use %v, want %v (memory is exact)", st.name, list[0].LastUsedAt, now)
		}
	}
}

func TestEnsureFirstToken(t *testing.T) {
	ctx := t.Context()
	tk := newTokens(t, openStore(t, t.TempDir()), nil, nil)
	secret, created, err := tk.EnsureFirstToken(ctx)
	if err != nil || !created || !strings.HasPrefix(secret, auth.Prefix) {
		t.Fatalf("first call = %q, %v, %v", secret, created, err)
	}
	if name, ok := tk.Verify(ctx, secret); !ok || name != auth.FirstTokenName {
		t.Errorf("first token verifies as %q, %v", name, ok)
	}
	again, created, err := tk.EnsureFirstToken(ctx)
	if err != nil || created || again != "" {
		t.Errorf("second call = %q, %v, %v; want nothing created", again, created, err)
	}

	tk2 := newTokens(t, openStore(t, t.TempDir()), nil, nil)
	if _, err := tk2.Create(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	if s, created, err := tk2.EnsureFirstToken(ctx); err != nil || created || s != "" {
		t.Errorf("with a token present = %q, %v, %v", s, created, err)
	}
}

// failingStore fails every call, as a store that cannot be read.
type failingStore struct{ err error }

func (f failingStore) PutToken(context.Context, auth.Record) error         { return f.err }
func (f failingStore) Tokens(context.Context) ([]auth.Record, error)       { return nil, f.err }
func (f failingStore) DeleteToken(context.Context, string) error           { return f.err }
func (f failingStore) TouchToken(context.Context, string, time.Time) error { return f.err }

func TestStoreFailure(t *testing.T) {
	ctx := t.Context()
	boom := errors.New("disk on fire")
	tk, err := auth.New(auth.Config{Store: failingStore{boom}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tk.Verify(ctx, "zhub_anything"); ok {
		t.Error("Verify accepted with an unreadable store")
	}
	if _, err := tk.Create(ctx, "x"); !errors.Is(err, boom) {
		t.Errorf("Create: %v", err)
	}
	if _, err := tk.List(ctx); !errors.Is(err, boom) {
		t.Errorf("List: %v", err)
	}
	if _, _, err := tk.EnsureFirstToken(ctx); !errors.Is(err, boom) {
		t.Errorf("EnsureFirstToken: %v", err)
	}
	if _, err := auth.New(auth.Config{}); err == nil {
		t.Error("New without a store succeeded")
	}
}

// TestBadStoredHash: a record whose hash cannot be parsed never matches but
// can still be listed and revoked.
func TestBadStoredHash(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, t.TempDir())
	if err := s.PutToken(ctx, store.Token{Name: "odd", Hash: "md5:abc"}); err != nil {
		t.Fatal(err)
	}
	tk := newTokens(t, s, nil, nil)
	if _, ok := tk.Verify(ctx, "md5:abc"); ok {
		t.Error("an unreadable hash matched")
	}
	if err := tk.Revoke(ctx, "odd"); err != nil {
		t.Errorf("revoke: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := t.Context()
	tk := newTokens(t, openStore(t, t.TempDir()), nil, nil)
	keep, err := tk.Create(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				if name, ok := tk.Verify(ctx, keep); !ok || name != "keep" {
					t.Errorf("Verify(keep) = %q, %v", name, ok)
					return
				}
				if j%5 == 0 {
					n := string(rune('a'+i)) + "-" + string(rune('a'+j))
					s, err := tk.Create(ctx, n)
					if err != nil {
						t.Error(err)
						return
					}
					if got, ok := tk.Verify(ctx, s); !ok || got != n {
						t.Errorf("Verify(%s) = %q, %v", n, got, ok)
					}
					if err := tk.Revoke(ctx, n); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	list, _ := tk.List(ctx)
	if len(list) != 1 {
		t.Errorf("tokens left: %v", list)
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{Path: filepath.Join(b.TempDir(), "zhub.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	tk, _ := auth.New(auth.Config{Store: authstore.Store{S: s}})
	var secret string
	for i := range 20 {
		secret, _ = tk.Create(ctx, "t"+string(rune('a'+i)))
	}
	for b.Loop() {
		if _, ok := tk.Verify(ctx, secret); !ok {
			b.Fatal("no match")
		}
	}
}

// FuzzVerify: no input panics, and only the issued secret verifies.
func FuzzVerify(f *testing.F) {
	s, err := store.Open(context.Background(), store.Config{Path: filepath.Join(f.TempDir(), "zhub.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close(context.Background()) })
	tk, _ := auth.New(auth.Config{Store: authstore.Store{S: s}})
	secret, err := tk.Create(context.Background(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", auth.Prefix, secret[:20], "sha256:00", strings.Repeat("\xff", 100)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, ok := tk.Verify(context.Background(), in)
		if ok != (in == secret) || (ok && name != "fuzz") {
			t.Fatalf("Verify(%q) = %q, %v", in, name, ok)
		}
	})
}
