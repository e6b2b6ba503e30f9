package mqttbridge

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// maxActions bounds queued action messages (never coalesced); beyond it
// the oldest are dropped and counted.
const maxActions = 10_000

// item is one state publication waiting in the outbox.
type item struct {
	ieee   zigbee.IEEE
	name   string
	state  map[string]any // the hub's map: read only
	action string         // non-empty: an action message, never coalesced
}

// outbox holds the newest unpublished state of each changed device, in
// the order devices changed, and the action messages in order. The hub's
// event reader adds to it without ever waiting on the network; one
// publisher goroutine drains it. When the broker is slower than the radio,
// a device's consecutive states collapse into its newest one.
type outbox struct {
	mu      sync.Mutex
	queue   []item
	index   map[zigbee.IEEE]int // position of a device's coalescable item
	actions int
	dropped uint64
	wake    chan struct{}
}

func newOutbox() *outbox {
	return &outbox{index: map[zigbee.IEEE]int{}, wake: make(chan struct{}, 1)}
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// state queues a state change.
func (o *outbox) state(e hub.StateChanged) {
	it := item{ieee: e.IEEE, name: e.Device, state: e.State}
	if a, ok := e.Changed["action"]; ok {
		if s := fmt.Sprint(a); s != "" && a != nil {
			it.action = s
		}
	}
	o.mu.Lock()
	if it.action != "" {
		if o.actions >= maxActions {
			o.dropped++
		} else {
			o.actions++
			o.queue = append(o.queue, it)
			delete(o.index, it.ieee) // later states must come after the action
		}
	} else if i, ok := o.index[it.ieee]; ok {
		o.queue[i] = it
	} else {
		o.index[it.ieee] = len(o.queue)
		o.queue = append(o.queue, it)
	}
	o.mu.Unlock()
	o.signal()
}

// mark queues a device's current state (after a reconnect or rename).
func (o *outbox) mark(d hub.Device) {
	if len(d.State) == 0 || d.Type == "Coordinator" || d.Disabled {
		return
	}
	o.state(hub.StateChanged{Device: d.FriendlyName, IEEE: d.IEEE, State: d.State})
}

// publishers is how many goroutines publish states, each for its share
// of the devices (a device's messages stay in order). paho hands each
// publish to its one writer goroutine; with several publishers waiting
// that handoff never parks, which is what bounds a single publisher.
const publishers = 4

// outboxes shards the outbox by device.
type outboxes [publishers]*outbox

func newOutboxes() *outboxes {
	var o outboxes
	for i := range o {
		o[i] = newOutbox()
	}
	return &o
}

func (o *outboxes) shard(ieee zigbee.IEEE) *outbox { return o[uint64(ieee)%publishers] }

func (o *outboxes) state(e hub.StateChanged) { o.shard(e.IEEE).state(e) }
func (o *outboxes) mark(d hub.Device)        { o.shard(d.IEEE).mark(d) }

func (o *outboxes) markAll(devs []hub.Device) {
	for _, d := range devs {
		o.mark(d)
	}
}

// run runs every shard's publisher until ctx ends.
func (o *outboxes) run(ctx context.Context, b *Bridge) {
	var wg sync.WaitGroup
	for _, s := range o {
		wg.Go(func() { s.run(ctx, b) })
	}
	wg.Wait()
}

// take removes and returns everything queued.
func (o *outbox) take(buf []item) []item {
	o.mu.Lock()
	defer o.mu.Unlock()
	buf = append(buf[:0], o.queue...)
	clear(o.queue)
	o.queue = o.queue[:0]
	clear(o.index)
	o.actions = 0
	return buf
}

// run publishes until ctx ends. While disconnected it leaves the outbox
// alone: the connection handler re-queues every device's state anyway.
func (o *outbox) run(ctx context.Context, b *Bridge) {
	var buf []item
	var enc stateEncoder
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		}
		if !b.connected.Load() {
			continue
		}
		buf = o.take(buf)
		for i := range buf {
			b.publishState(&enc, &buf[i])
			buf[i] = item{}
		}
	}
}

// stateEncoder renders state JSON into a buffer it reuses: the result is
// valid until the next encode (publish copies it).
type stateEncoder struct {
	buf []byte
	m   map[string]any
}

func (e *stateEncoder) encode(v any) []byte {
	out, ok := appendJSON(e.buf[:0], v)
	if !ok {
		out = marshal(v) // a value type appendJSON does not know
	}
	e.buf = out[:0]
	return out
}

// publishState publishes one state (and its derived messages).
func (b *Bridge) publishState(enc *stateEncoder, it *item) {
	meta := b.metaOf(it.ieee)
	var name, topic string
	if meta != nil {
		if meta.disabled {
			return
		}
		name, topic = meta.name, meta.topic // the newest name, in case of a rename meanwhile
	} else {
		name, topic = it.name, b.Topic(it.name)
	}
	state := it.state
	// Home Assistant needs colour h/s next to hue/saturation, and a null
	// for each entity property not known yet (templates warn otherwise).
	needsCopy := false
	if c, ok := state["color"].(map[string]any); ok {
		if _, ok := c["hue"]; ok {
			needsCopy = true
		}
	}
	if meta != nil {
		for _, p := range meta.mock {
			if _, ok := state[p]; !ok {
				needsCopy = true
				break
			}
		}
	}
	if needsCopy {
		if enc.m == nil {
			enc.m = make(map[string]any, len(state)+4)
		}
		clear(enc.m)
		maps.Copy(enc.m, state)
		if c, ok := state["color"].(map[string]any); ok {
			c2 := maps.Clone(c)
			if v, ok := c["hue"]; ok {
				c2["h"] = v
			}
			if v, ok := c["saturation"]; ok {
				c2["s"] = v
			}
			enc.m["color"] = c2
		}
		if meta != nil {
			for _, p := range meta.mock {
				if _, ok := enc.m[p]; !ok {
					enc.m[p] = nil
				}
			}
		}
		state = enc.m
	}
	if it.action != "" {
		if m, ok := state["action"]; !ok || fmt.Sprint(m) != it.action {
			s := maps.Clone(state)
			s["action"] = it.action
			state = s
		}
	}
	b.publish(topic, 0, b.cfg.Retain, enc.encode(state))

	// Per-endpoint light/cover sub-states on <name>/<endpoint>.
	if meta != nil {
		for _, ep := range meta.endpoints {
			sub := map[string]any{}
			sfx := "_" + ep
			for k, v := range state {
				if base, ok := strings.CutSuffix(k, sfx); ok && base != "" {
					sub[base] = v
				}
			}
			b.publish(b.Topic(name+"/"+ep), 0, false, enc.encode(sub))
		}
	}
	if it.action != "" {
		// Device triggers: Home Assistant's MQTT device trigger does not
		// parse JSON, so the action is also published bare.
		if b.cfg.HADiscovery {
			ieee, value := it.ieee, it.action
			b.ctrlDo(func() { b.ensureTrigger(ieee, value) })
		}
		b.publish(b.Topic(name+"/action"), 0, false, []byte(it.action))
	}
}
