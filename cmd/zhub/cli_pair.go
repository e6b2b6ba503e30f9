package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/localapi"
)

const pairSynopsis = "zhub pair [--duration 120] [--via DEVICE] [--count N] [--json]"

// closeTimeout bounds closing joining after Ctrl-C.
const closeTimeout = 10 * time.Second

// runPair opens joining and shows pairing live: time left, each device
// that joins, each interview step as it completes, the result and the
// rename hint. Ctrl-C closes joining before exiting; --count N exits after
// N interviews finished.
func runPair(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub pair", pairSynopsis, stdin, stdout, stderr)
	dur := c.fs.Int("duration", localapi.DefaultPairDuration, fmt.Sprintf("seconds joining stays open (1–%d)", localapi.MaxPermitJoinS))
	via := c.fs.String("via", "", "admit devices only through this router (name or IEEE address)")
	count := c.fs.Int("count", 0, "exit once this many devices finished their interview (0: when joining closes)")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, pairSynopsis)
	}
	if err == nil && (*dur < 1 || *dur > localapi.MaxPermitJoinS) {
		err = usagef("--duration %d is outside 1–%d seconds", *dur, localapi.MaxPermitJoinS)
	}
	if err == nil && *count < 0 {
		err = usagef("--count %d is negative", *count)
	}
	if err != nil {
		return c.fail(err)
	}

	// The stream has its own context: Ctrl-C (ctx) first closes joining,
	// then ends the stream.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	st, err := c.api().Pair(sctx, localapi.PairRequest{DurationS: *dur, Via: *via, Count: *count})
	if err != nil {
		return c.fail(err)
	}
	defer st.Close()
	events := make(chan localapi.Event, 64)
	streamErr := make(chan error, 1)
	go func() {
		defer close(events)
		for {
			ev, err := st.Next()
			if err != nil {
				streamErr <- err
				return
			}
			events <- ev
		}
	}()

	p := &pairView{cli: c, live: !c.json && terminal(stdout), want: *count, via: *via}
	var tick <-chan time.Time
	if p.live {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				err := <-streamErr
				p.clearStatus()
				if errors.Is(err, io.EOF) && p.done != nil {
					return p.finish()
				}
				if errors.Is(err, io.EOF) {
					err = errors.New("the daemon ended pairing without a result (is it stopping?)")
				}
				return c.fail(fmt.Errorf("pairing: %w", err))
			}
			p.event(ev)
		case <-tick:
			p.drawStatus()
		case <-ctx.Done():
			return p.interrupted(cancel)
		}
	}
}

// pairView renders a pair stream. In live mode (a terminal) it keeps a
// status line (time left, what is happening) under the permanent lines.
type pairView struct {
	*cli
	live bool
	want int
	via  string

	until      time.Time
	open       bool
	statusLine bool
	steps      map[string]*stepRenderer // by IEEE
	names      map[string]string        // IEEE → friendly name
	activity   string
	paired     []string
	failed     []string
	done       *localapi.Event
}

func (p *pairView) println(format string, args ...any) {
	p.clearStatus()
	fmt.Fprintf(p.stdout, format+"\n", args...)
	p.drawStatus()
}

func (p *pairView) clearStatus() {
	if p.statusLine {
		fmt.Fprint(p.stdout, "\r\033[K")
		p.statusLine = false
	}
}

func (p *pairView) drawStatus() {
	if !p.live {
		return
	}
	p.clearStatus()
	var s string
	switch {
	case p.open:
		left := max(time.Until(p.until), 0).Round(time.Second)
		s = fmt.Sprintf("⏳ %d:%02d left", int(left.Minutes()), int(left.Seconds())%60)
		if p.activity == "" {
			s += " · waiting for a device"
		}
	case p.activity != "":
		s = "⏳ joining closed"
	default:
		return
	}
	if p.activity != "" {
		s += " · " + p.activity
	}
	s += " · Ctrl-C stops"
	// One terminal line, or the redraw would leave the wrapped part behind.
	if r := []rune(s); len(r) > p.width()-1 {
		s = string(r[:max(p.width()-2, 10)]) + "…"
	}
	fmt.Fprint(p.stdout, s)
	p.statusLine = true
}

// width is the terminal's width (80 when unknown).
func (p *pairView) width() int {
	if f, ok := p.stdout.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	return 80
}

func (p *pairView) event(ev localapi.Event) {
	if p.json {
		p.printLine(ev)
		switch {
		case ev.Type == localapi.EventPairDone:
			p.done = &ev
		case ev.Type == localapi.EventInterview && ev.Interview != nil && ev.Interview.State == hub.InterviewSuccessful:
			p.paired = append(p.paired, ev.Device)
		case ev.Type == localapi.EventInterview && ev.Interview != nil && ev.Interview.State == hub.InterviewFailed:
			p.failed = append(p.failed, ev.Device)
		}
		return
	}
	if p.steps == nil {
		p.steps, p.names = map[string]*stepRenderer{}, map[string]string{}
	}
	switch ev.Type {
	case localapi.EventPermitJoin:
		pj := ev.PermitJoin
		if pj == nil {
			return
		}
		wasOpen := p.open
		p.open, p.until = pj.Open, pj.Until
		switch {
		case pj.Open && !wasOpen:
			where := "through every router"
			if pj.Via != "" {
				where = "through " + pj.Via + " only"
			}
			p.println("Joining is open for %ds %s. Put the device in pairing mode (press its button, or power-cycle a bulb).",
				int(time.Until(pj.Until).Round(time.Second).Seconds()), where)
			if !p.live {
				p.println("Joining closes when zhub pair exits (Ctrl-C).")
			}
		case !pj.Open && wasOpen:
			p.println("Joining closed.")
		}
	case localapi.EventDeviceJoined:
		if _, seen := p.names[ev.IEEE]; seen {
			return // the announce after the join, or a rejoin during the interview
		}
		p.names[ev.IEEE] = ev.Device
		if ev.New {
			p.println("+ %s joined (network address %s), interviewing it:", ev.IEEE, ev.NWK)
		} else if ev.Interview != nil && ev.Interview.State == hub.InterviewSuccessful {
			p.println("+ %s (%s) re-joined; it is paired already", ev.Device, ev.IEEE)
			p.paired = append(p.paired, ev.Device)
		} else {
			p.println("+ %s (%s) re-joined, interviewing it:", ev.Device, ev.IEEE)
		}
		p.activity = "interviewing " + ev.Device
	case localapi.EventInterview:
		if ev.Interview == nil {
			return
		}
		r := p.steps[ev.IEEE]
		if r == nil {
			r = &stepRenderer{}
			p.steps[ev.IEEE] = r
		}
		var b strings.Builder
		r.w = &b
		r.interview(*ev.Interview)
		if b.Len() > 0 {
			p.println("%s", strings.TrimRight(b.String(), "\n"))
		}
		switch ev.Interview.State {
		case hub.InterviewInProgress:
			p.activity = fmt.Sprintf("interviewing %s: %s", ev.Device, ev.Interview.Step)
		case hub.InterviewSuccessful:
			p.activity = ""
			p.paired = append(p.paired, ev.Device)
			p.interviewed(ev)
		case hub.InterviewFailed:
			p.activity = ""
			p.failed = append(p.failed, ev.Device)
			p.println("  The interview of %s failed. Wake it (press its button) and run: zhub device interview %s", ev.Device, ev.Device)
		}
	case localapi.EventDeviceLeft:
		p.println("- %s left the network", ev.Device)
	case localapi.EventDropped:
		p.println("(missed %d events: the terminal was too slow; zhub devices shows the result)", ev.Dropped)
	case localapi.EventPairDone:
		p.done = &ev
	}
}

// interviewed prints what a successful interview found and the rename hint.
func (p *pairView) interviewed(ev localapi.Event) {
	def := ev.Definition
	if def == nil {
		p.println("  ✓ paired %s", ev.Device)
		return
	}
	desc := ""
	if def.Description != "" {
		desc = ": " + def.Description
	}
	p.println("  ✓ paired %s: %s by %s%s", ev.Device, def.Model, def.Vendor, desc)
	var caps []string
	for _, x := range flattenExposes(def.Exposes) {
		c := x.Property
		if x.Access&hub.AccessSet != 0 {
			c += " (settable)"
		}
		caps = append(caps, c)
	}
	if len(caps) > 0 {
		p.println("    capabilities: %s", strings.Join(caps, ", "))
	}
	if ev.Device == ev.IEEE {
		p.println("    give it a name, e.g.: zhub device rename %s desk_lamp", ev.IEEE)
	}
}

// finish prints the outcome after pair_done and returns the exit code.
func (p *pairView) finish() int {
	n := len(p.paired)
	if !p.json {
		p.clearStatus()
		switch p.done.Reason {
		case localapi.PairCount:
			fmt.Fprintf(p.stdout, "Done: %d device(s) paired, joining closed.\n", n)
		default:
			fmt.Fprintf(p.stdout, "%d device(s) paired.\n", n)
		}
	}
	if len(p.failed) > 0 {
		return exitFailed
	}
	if p.want > 0 && n < p.want {
		fmt.Fprintf(p.stderr, "zhub: only %d of %d devices paired before joining closed; run zhub pair again and put the device in pairing mode\n", n, p.want)
		return exitFailed
	}
	if n == 0 && p.done.Reason == localapi.PairClosed {
		fmt.Fprintln(p.stderr, "zhub: no device joined; reset the device to factory settings, bring it closer, and run zhub pair again")
		return exitFailed
	}
	return exitOK
}

// interrupted handles Ctrl-C: close joining (and say so), then end the
// stream.
func (p *pairView) interrupted(endStream context.CancelFunc) int {
	p.clearStatus()
	if !p.json {
		fmt.Fprintln(p.stdout, "Stopping: closing joining…")
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	pj, err := p.api().PermitJoin(ctx, 0, "")
	endStream()
	if err != nil {
		return p.fail(fmt.Errorf("closing joining failed: %w (it closes by itself when its time is up)", err))
	}
	if p.json {
		p.printLine(localapi.Event{Type: localapi.EventPermitJoin, Time: time.Now(), PermitJoin: &pj})
		p.printLine(localapi.Event{Type: localapi.EventPairDone, Time: time.Now(), Reason: localapi.PairCanceled, Interviewed: len(p.paired)})
		return exitOK
	}
	if pj.Open {
		return p.fail(errors.New("the coordinator still reports joining open"))
	}
	fmt.Fprintf(p.stdout, "Joining closed. %d device(s) paired.\n", len(p.paired))
	return exitOK
}
