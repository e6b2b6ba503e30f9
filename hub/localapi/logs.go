package localapi

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultLogRingSize is how many records a LogRing keeps by default.
const DefaultLogRingSize = 1000

// LogRing keeps the daemon's most recent log records for `zhub logs` and
// hands new ones to followers. Attach it with Handler, which tees records
// to the daemon's own handler. Followers that read too slowly lose
// records rather than slowing the logger down.
type LogRing struct {
	level   slog.Leveler
	replace func(groups []string, a slog.Attr) slog.Attr

	mu        sync.Mutex
	buf       []LogRecord
	next      int // where the next record goes once the ring is full
	seq       uint64
	followers []*logFollower
}

type logFollower struct {
	ch      chan LogRecord
	dropped atomic.Uint64
}

// LogRingConfig configures a LogRing.
type LogRingConfig struct {
	// Size is how many records are kept (default DefaultLogRingSize).
	Size int
	// Level is the lowest level kept (default Info: debug records of
	// frames would push everything useful out).
	Level slog.Leveler
	// Replace rewrites attributes before they are kept, as
	// slog.HandlerOptions.ReplaceAttr (the daemon passes its secret
	// redaction).
	Replace func(groups []string, a slog.Attr) slog.Attr
}

// NewLogRing returns an empty ring.
func NewLogRing(cfg LogRingConfig) *LogRing {
	if cfg.Size <= 0 {
		cfg.Size = DefaultLogRingSize
	}
	if cfg.Level == nil {
		cfg.Level = slog.LevelInfo
	}
	return &LogRing{level: cfg.Level, replace: cfg.Replace, buf: make([]LogRecord, 0, cfg.Size)}
}

// Records returns up to n of the most recent records, oldest first (n <= 0:
// none).
func (l *LogRing) Records(n int) []LogRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	ordered := append(slices.Clone(l.buf[l.next:]), l.buf[:l.next]...)
	if n < len(ordered) {
		ordered = ordered[len(ordered)-max(n, 0):]
	}
	return ordered
}

func (l *LogRing) add(r LogRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r.seq = l.seq
	if len(l.buf) < cap(l.buf) {
		l.buf = append(l.buf, r)
	} else {
		l.buf[l.next] = r
		l.next = (l.next + 1) % len(l.buf)
	}
	for _, f := range l.followers {
		select {
		case f.ch <- r:
		default:
			f.dropped.Add(1)
		}
	}
}

func (l *LogRing) follow(buffer int) *logFollower {
	f := &logFollower{ch: make(chan LogRecord, buffer)}
	l.mu.Lock()
	l.followers = append(l.followers, f)
	l.mu.Unlock()
	return f
}

func (l *LogRing) unfollow(f *logFollower) {
	l.mu.Lock()
	l.followers = slices.DeleteFunc(l.followers, func(x *logFollower) bool { return x == f })
	l.mu.Unlock()
}

// Handler returns a handler that passes every record to next and keeps a
// copy of those at or above the ring's level.
func (l *LogRing) Handler(next slog.Handler) slog.Handler {
	return &teeHandler{ring: l, next: next}
}

type teeHandler struct {
	ring   *LogRing
	next   slog.Handler
	attrs  []groupedAttr
	groups []string
}

type groupedAttr struct {
	groups []string
	attr   slog.Attr
}

func (h *teeHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.ring.level.Level() || h.next.Enabled(ctx, level)
}

func (h *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.next.Enabled(ctx, r.Level) {
		err = h.next.Handle(ctx, r)
	}
	if r.Level < h.ring.level.Level() {
		return err
	}
	rec := LogRecord{Time: r.Time, Level: r.Level.String(), Msg: r.Message}
	put := func(groups []string, a slog.Attr) {
		if h.ring.replace != nil && a.Value.Kind() != slog.KindGroup {
			a = h.ring.replace(groups, a)
		}
		if a.Equal(slog.Attr{}) {
			return
		}
		key := a.Key
		for i := len(groups) - 1; i >= 0; i-- {
			key = groups[i] + "." + key
		}
		v := a.Value.Resolve()
		switch {
		case len(groups) == 0 && key == "module" && v.Kind() == slog.KindString:
			rec.Module = v.String()
		case len(groups) == 0 && key == "event" && v.Kind() == slog.KindString:
			rec.Event = v.String()
		default:
			if rec.Attrs == nil {
				rec.Attrs = map[string]any{}
			}
			rec.Attrs[key] = attrValue(v)
		}
	}
	for _, ga := range h.attrs {
		put(ga.groups, ga.attr)
	}
	r.Attrs(func(a slog.Attr) bool {
		put(h.groups, a)
		return true
	})
	h.ring.add(rec)
	return err
}

// attrValue turns a slog value into something encoding/json writes well.
func attrValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time()
	case slog.KindGroup:
		m := map[string]any{}
		for _, a := range v.Group() {
			m[a.Key] = attrValue(a.Value.Resolve())
		}
		return m
	}
	if err, ok := v.Any().(error); ok {
		return err.Error()
	}
	if s, ok := v.Any().(interface{ String() string }); ok {
		return s.String()
	}
	return v.Any()
}

func (h *teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.next = h.next.WithAttrs(as)
	n.attrs = slices.Clone(h.attrs)
	for _, a := range as {
		n.attrs = append(n.attrs, groupedAttr{groups: h.groups, attr: a})
	}
	return &n
}

func (h *teeHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.next = h.next.WithGroup(name)
	n.groups = append(slices.Clone(h.groups), name)
	return &n
}
