package localapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// DefaultPairDuration is the permit-join window of a pair request that
// names none (Zigbee2MQTT's frontend uses 254 s; two minutes is enough
// to press a button and short enough not to leave the network open).
const DefaultPairDuration = 120

// MaxPermitJoinS is the longest window one request opens, in seconds.
const MaxPermitJoinS = int(hub.MaxPermitJoin / time.Second)

// ContentTypeNDJSON is the media type of every stream: one JSON value per
// line, flushed as it is written.
const ContentTypeNDJSON = "application/x-ndjson"

// stream writes NDJSON lines, flushing each one.
type stream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *json.Encoder
}

func newStream(w http.ResponseWriter) *stream {
	w.Header().Set("Content-Type", ContentTypeNDJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w), enc: json.NewEncoder(w)}
	st.enc.SetEscapeHTML(false)
	st.rc.Flush()
	return st
}

func (st *stream) send(v any) error {
	if err := st.enc.Encode(v); err != nil {
		return err
	}
	return st.rc.Flush()
}

// awaitPermitJoin waits (bounded) until the hub reports joining open or
// closed as wanted, and returns what it reports then. Other events it
// reads are lost; see awaitPermitJoinKeep.
func (s *Server) awaitPermitJoin(ctx context.Context, h Hub, sub *hub.Subscription, open bool) PermitJoin {
	pj, _ := s.awaitPermitJoinKeep(ctx, h, sub, open)
	return pj
}

// awaitPermitJoinKeep is awaitPermitJoin that also returns the other
// events it read meanwhile, in order (a device can join before the
// coordinator's permit-join confirmation reaches the bus).
func (s *Server) awaitPermitJoinKeep(ctx context.Context, h Hub, sub *hub.Subscription, open bool) (PermitJoin, []hub.Event) {
	current := func() PermitJoin {
		hs := h.Status()
		if hs.PermitJoinUntil.IsZero() {
			return PermitJoin{}
		}
		return PermitJoin{Open: true, Until: hs.PermitJoinUntil, Via: hs.PermitJoinVia}
	}
	if !open && !current().Open {
		return PermitJoin{}, nil
	}
	t := time.NewTimer(s.cfg.PermitJoinWait)
	defer t.Stop()
	var other []hub.Event
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				return current(), other
			}
			if pj, isPJ := e.(hub.PermitJoinChanged); isPJ && pj.Open == open {
				return PermitJoin{Open: pj.Open, Until: pj.Until, Via: pj.Via}, other
			}
			other = append(other, e)
		case <-t.C:
			return current(), other
		case <-ctx.Done():
			return current(), other
		}
	}
}

func (s *Server) servePermitJoin(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req PermitJoinRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.DurationS < 0 || req.DurationS > MaxPermitJoinS {
		return badRequest("duration_s %d is outside 0–%d", req.DurationS, MaxPermitJoinS)
	}
	sub := h.Subscribe(64)
	defer sub.Close()
	if err := h.PermitJoin(r.Context(), time.Duration(req.DurationS)*time.Second, req.Via); err != nil {
		return err
	}
	return writeJSON(w, s.awaitPermitJoin(r.Context(), h, sub, req.DurationS > 0))
}

// closeJoin closes joining after a pair stream, even when the client has
// gone (Ctrl-C, a dropped SSH session).
func (s *Server) closeJoin(ctx context.Context, h Hub, sub *hub.Subscription) (PermitJoin, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.PermitJoinWait)
	defer cancel()
	if err := h.PermitJoin(ctx, 0, ""); err != nil {
		s.log.Warn("closing permit join failed", "event", "permit_join_close_failed", "err", err)
		return PermitJoin{}, err
	}
	return s.awaitPermitJoin(ctx, h, sub, false), nil
}

func (s *Server) servePair(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req PairRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.DurationS == 0 {
		req.DurationS = DefaultPairDuration
	}
	if req.DurationS < 1 || req.DurationS > MaxPermitJoinS {
		return badRequest("duration_s %d is outside 1–%d", req.DurationS, MaxPermitJoinS)
	}
	if req.Count < 0 {
		return badRequest("count %d is negative", req.Count)
	}
	ctx := r.Context()
	// Subscribe before opening, so no join can slip between the two.
	sub := h.Subscribe(1024)
	defer sub.Close()
	if err := h.PermitJoin(ctx, time.Duration(req.DurationS)*time.Second, req.Via); err != nil {
		return err
	}
	start := s.now()
	s.log.Info("pairing started", "event", "pair_started", "duration_s", req.DurationS, "via", req.Via, "count", req.Count)
	st := newStream(w)
	closedByUs := false
	defer func() {
		if !closedByUs {
			s.closeJoin(ctx, h, sub)
		}
	}()

	// finished[ieee] is false while a device that joined in this session
	// is being interviewed, true once its interview ended.
	finished := map[zigbee.IEEE]bool{}
	pending := func() int {
		n := 0
		for _, f := range finished {
			if !f {
				n++
			}
		}
		return n
	}
	count := 0
	closed := false
	var dropped uint64
	// The coordinator closes the window itself; the timer covers a
	// driver that does not report it.
	window := time.NewTimer(time.Duration(req.DurationS)*time.Second + s.cfg.PermitJoinWait)
	defer window.Stop()
	end := func(reason string) error {
		s.log.Info("pairing ended", "event", "pair_ended", "reason", reason, "interviewed", count,
			"elapsed_ms", float64(s.now().Sub(start).Microseconds())/1000)
		return st.send(Event{Type: EventPairDone, Time: s.now(), Reason: reason, Interviewed: count})
	}
	// The first line says joining is open (or what the coordinator said).
	pj, backlog := s.awaitPermitJoinKeep(ctx, h, sub, true)
	if err := st.send(Event{Type: EventPermitJoin, Time: s.now(), PermitJoin: &pj}); err != nil {
		return nil
	}
	next := func() (hub.Event, bool, bool) { // event, open, ready
		if len(backlog) > 0 {
			e := backlog[0]
			backlog = backlog[1:]
			return e, true, true
		}
		return nil, false, false
	}
	for {
		e, ok, ready := next()
		if !ready {
			select {
			case <-ctx.Done():
				s.log.Info("pairing ended", "event", "pair_ended", "reason", PairCanceled, "interviewed", count,
					"elapsed_ms", float64(s.now().Sub(start).Microseconds())/1000)
				return nil
			case <-window.C:
				closed = true
			case e, ok = <-sub.C():
				ready = true
			}
		}
		if ready {
			if !ok {
				end(PairStopped)
				return nil
			}
			out, send := s.pairEvent(h, e, finished, &count)
			if pj, ok := e.(hub.PermitJoinChanged); ok && !pj.Open {
				closed = true
			}
			if send {
				if err := st.send(out); err != nil {
					return nil
				}
			}
			if d := sub.Dropped(); d > dropped {
				dropped = d
				if err := st.send(Event{Type: EventDropped, Time: s.now(), Dropped: d}); err != nil {
					return nil
				}
			}
		}
		if req.Count > 0 && count >= req.Count {
			closedByUs = true
			pj, err := s.closeJoin(ctx, h, sub)
			if err == nil {
				st.send(Event{Type: EventPermitJoin, Time: s.now(), PermitJoin: &pj})
			}
			end(PairCount)
			return nil
		}
		if closed && pending() == 0 {
			end(PairClosed)
			return nil
		}
	}
}

// pairEvent decides whether a hub event belongs on a pair stream, and
// counts finished interviews of devices that joined in this session.
func (s *Server) pairEvent(h Hub, e hub.Event, finished map[zigbee.IEEE]bool, count *int) (Event, bool) {
	out, ok := EventFrom(e, s.now())
	if !ok {
		return out, false
	}
	switch e := e.(type) {
	case hub.PermitJoinChanged:
		return out, true
	case hub.DeviceJoined:
		if _, seen := finished[e.IEEE]; seen {
			return out, true
		}
		finished[e.IEEE] = false
		if !e.New {
			// A known device re-joined; if it needs no interview it is
			// paired already.
			if d, err := h.Device(e.IEEE.String()); err == nil {
				iv := d.Interview
				out.Interview = &iv
				if iv.State == hub.InterviewSuccessful {
					finished[e.IEEE] = true
					*count++
				}
			}
		}
		return out, true
	case hub.InterviewProgress:
		f, tracked := finished[e.IEEE]
		if !tracked {
			return out, false
		}
		if !f && (e.Interview.State == hub.InterviewSuccessful || e.Interview.State == hub.InterviewFailed) {
			finished[e.IEEE] = true
			*count++
		}
		return out, true
	case hub.DeviceLeft, hub.DeviceRenamed, hub.DeviceRemoved:
		_, tracked := finished[out.ieee()]
		return out, tracked
	}
	return out, false
}

func (e Event) ieee() zigbee.IEEE {
	a, _ := zigbee.ParseIEEE(e.IEEE)
	return a
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var only zigbee.IEEE
	if name := r.URL.Query().Get("device"); name != "" {
		d, err := h.Device(name)
		if err != nil {
			return err
		}
		only = d.IEEE
	}
	sub := h.Subscribe(1024)
	defer sub.Close()
	st := newStream(w)
	var dropped uint64
	for {
		select {
		case <-r.Context().Done():
			return nil
		case e, ok := <-sub.C():
			if !ok {
				return nil
			}
			out, ok := EventFrom(e, s.now())
			if !ok || only != 0 && out.ieee() != only {
				continue
			}
			if err := st.send(out); err != nil {
				return nil
			}
			if d := sub.Dropped(); d > dropped {
				dropped = d
				if err := st.send(Event{Type: EventDropped, Time: s.now(), Dropped: d}); err != nil {
					return nil
				}
			}
		}
	}
}

func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Logs == nil {
		return &codedError{http.StatusServiceUnavailable, CodeUnavailable, "this daemon keeps no log buffer"}
	}
	q := r.URL.Query()
	n := 100
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			return badRequest("n=%q is not a count", v)
		}
	}
	follow := q.Get("follow") == "1" || q.Get("follow") == "true"
	var f *logFollower
	if follow {
		f = s.cfg.Logs.follow(1024)
		defer s.cfg.Logs.unfollow(f)
	}
	recent := s.cfg.Logs.Records(n)
	st := newStream(w)
	for _, rec := range recent {
		if err := st.send(rec); err != nil {
			return nil
		}
	}
	if !follow {
		return nil
	}
	var last uint64
	if len(recent) > 0 {
		last = recent[len(recent)-1].seq
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case rec := <-f.ch:
			// Records taken between follow and Records arrive twice.
			if rec.seq <= last {
				continue
			}
			if err := st.send(rec); err != nil {
				return nil
			}
		}
	}
}

var errNoChat = &codedError{http.StatusServiceUnavailable, CodeUnavailable,
	"chat not available yet: this zhub has no chat service"}

func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) error {
	p := s.chat.Load()
	if p == nil || *p == nil {
		return errNoChat
	}
	c := *p
	var req ChatRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Text == "" {
		return badRequest("empty chat message")
	}
	start := s.now()
	st := newStream(w)
	conv, err := c.Chat(r.Context(), req, func(ch ChatChunk) error {
		if ch.Type == "" {
			switch {
			case ch.Image != nil:
				ch.Type = ChunkImage
			case ch.Metadata != nil:
				ch.Type = ChunkMetadata
			default:
				ch.Type = ChunkText
			}
		}
		return st.send(ch)
	})
	if r.Context().Err() != nil {
		return nil
	}
	if err != nil {
		_, code := codeOf(err)
		s.log.Warn("chat failed", "event", "chat_failed", "err", err, "elapsed_ms", float64(s.now().Sub(start).Microseconds())/1000)
		st.send(ChatChunk{Type: ChunkError, Error: message(err), Code: code})
		return nil
	}
	st.send(ChatChunk{Type: ChunkComplete, Conversation: conv})
	return nil
}
