package ws

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
)

// Event kinds a subscription can ask for.
const (
	KindState        = "state"        // device_state
	KindAvailability = "availability" // availability
	KindPairing      = "pairing"      // permit_join, device_joined, interview, device_left, device_removed, device_renamed
	KindNetwork      = "network"      // network
)

var kinds = []string{KindState, KindAvailability, KindPairing, KindNetwork}

// subscription is a running "subscribe" request.
type subscription struct {
	id      string
	idJSON  []byte          // id encoded once, for the fan-out
	kinds   map[string]bool // nil = every kind
	devices map[string]bool // nil = every device
}

func (s *subscription) match(kind, device string) bool {
	if s.kinds != nil && !s.kinds[kind] {
		return false
	}
	return s.devices == nil || device == "" || s.devices[device]
}

// subscribe registers a subscription. It answers processing at once; its
// events follow as chunks with its request id until a cancel ends it.
func (c *conn) subscribe(req Request) {
	var p struct {
		Events  []string `json:"events"`
		Devices []string `json:"devices"`
	}
	if err := decodePayload(req.Payload, &p); err != nil {
		c.reject(req.RequestID, CodeBadPayload, err.Error())
		return
	}
	s := &subscription{id: req.RequestID, idJSON: []byte(quote(req.RequestID))}
	for _, k := range p.Events {
		if k == "all" {
			s.kinds = nil
			break
		}
		if !slices.Contains(kinds, k) {
			c.reject(req.RequestID, CodeBadPayload, fmt.Sprintf("unknown event kind %q (known: %s, all)", k, strings.Join(kinds, ", ")))
			return
		}
		if s.kinds == nil {
			s.kinds = map[string]bool{}
		}
		s.kinds[k] = true
	}
	if len(p.Devices) > 0 {
		s.devices = map[string]bool{}
		for _, d := range p.Devices {
			s.devices[d] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if code, msg := c.admitLocked(req.RequestID); code != "" {
		// Through the events queue too, behind anything already queued there.
		c.pushEventLocked(encodeResponse(Response{RequestID: req.RequestID, Status: StatusError, Chunk: errorChunk(code, msg, nil)}))
		return
	}
	c.reqs[req.RequestID] = &inflight{sub: s}
	c.subs[req.RequestID] = s
	c.pushEventLocked(encodeResponse(Response{RequestID: req.RequestID, Status: StatusProcessing}))
}

// deliver queues an encoded event chunk for every matching subscription.
func (c *conn) deliver(kind, device string, chunk []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subs {
		if s.match(kind, device) && !c.pushEventLocked(appendChunkResponse(nil, s.idJSON, chunk)) {
			return
		}
	}
}

// eventMetadata turns a hub event into a chunk's metadata, with its kind
// and the device it concerns ("" for none). It returns nil metadata for
// events clients are not sent.
func eventMetadata(ev hub.Event) (kind, device string, md map[string]any) {
	switch e := ev.(type) {
	case hub.StateChanged:
		return KindState, e.Device, map[string]any{"type": "device_state", "device": e.Device, "ieee": e.IEEE.String(),
			"state": e.State, "changed": e.Changed, "confirmed": true, "at": e.At.UTC().Format(time.RFC3339Nano)}
	case hub.AvailabilityChanged:
		return KindAvailability, e.Device, map[string]any{"type": "availability", "device": e.Device, "ieee": e.IEEE.String(),
			"available": e.Available}
	case hub.PermitJoinChanged:
		md := map[string]any{"type": "permit_join", "open": e.Open, "via": e.Via}
		if e.Open && !e.Until.IsZero() {
			md["until"] = e.Until.UTC().Format(time.RFC3339)
		}
		return KindPairing, "", md
	case hub.DeviceJoined:
		return KindPairing, e.Device, map[string]any{"type": "device_joined", "device": e.Device, "ieee": e.IEEE.String(), "new": e.New}
	case hub.InterviewProgress:
		md := map[string]any{"type": "interview", "device": e.Device, "ieee": e.IEEE.String(),
			"state": string(e.Interview.State), "step": e.Interview.Step}
		if e.Interview.Error != "" {
			md["error"] = e.Interview.Error
		}
		if e.Definition != nil {
			md["definition"] = e.Definition
		}
		return KindPairing, e.Device, md
	case hub.DeviceLeft:
		return KindPairing, e.Device, map[string]any{"type": "device_left", "device": e.Device, "ieee": e.IEEE.String()}
	case hub.DeviceRemoved:
		return KindPairing, e.Device, map[string]any{"type": "device_removed", "device": e.Device, "ieee": e.IEEE.String()}
	case hub.DeviceRenamed:
		return KindPairing, e.To, map[string]any{"type": "device_renamed", "from": e.From, "to": e.To, "ieee": e.IEEE.String()}
	case hub.NetworkChanged:
		md := map[string]any{"type": "network", "up": e.Up}
		if e.Err != nil {
			md["error"] = e.Err.Error()
		}
		if e.Up {
			md["channel"] = int(e.Info.Channel)
			md["pan_id"] = e.Info.PANID.String()
		}
		return KindNetwork, "", md
	}
	return "", "", nil
}
