package hub

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// MessageRejected reports a message from a device that the hub could not
// use: malformed ZCL, or a value outside its attribute's range. The
// device's other values and other devices are unaffected.
type MessageRejected struct {
	Device  string
	IEEE    zigbee.IEEE
	Cluster zigbee.ClusterID
	Err     error
}

func (MessageRejected) hubEvent() {}

// decoded is what one ZCL frame contributed to a device's state.
type decoded struct {
	values map[string]any // property → value ("color" holds a partial map)
	errs   []error        // rejected values
	action bool           // values hold an action (always published)
}

func (r *decoded) set(prop, sub string, v any) {
	if r.values == nil {
		r.values = make(map[string]any, 4)
	}
	if sub == "" {
		r.values[prop] = v
		return
	}
	m, _ := r.values[prop].(map[string]any)
	if m == nil {
		m = map[string]any{}
		r.values[prop] = m
	}
	m[sub] = v
}

// decodeAttrs converts attribute values of one cluster with the model's
// rules and updates params from the attributes that carry them.
func decodeAttrs(m *model, p *params, ep zigbee.Endpoint, c zigbee.ClusterID, recs []zcl.AttributeValue, out *decoded) {
	for _, rec := range recs {
		if pa := findParamAttr(uint16(c), rec.ID); pa != nil && !rec.Value.IsInvalid() {
			pa.set(p, rec.Value)
		}
		if m == nil {
			continue
		}
		for _, r := range m.rules(ep, c, rec.ID) {
			v, err := r.conv(rec.Value, p)
			switch {
			case errors.Is(err, errNoValue):
			case err != nil:
				out.errs = append(out.errs, &attrError{prop: r.prop, cluster: c, attr: rec.ID, err: err})
			default:
				out.set(r.prop, r.sub, v)
			}
		}
	}
}

// attrError is a rejected attribute value.
type attrError struct {
	prop    string
	cluster zigbee.ClusterID
	attr    zcl.AttributeID
	err     error
}

func (e *attrError) Error() string {
	return "hub: " + e.prop + " (" + zcl.ClusterName(e.cluster) + "/" + e.attr.String() + "): " + e.err.Error()
}

func (e *attrError) Unwrap() error { return e.err }

// decodeFrame turns one ZCL frame from a device endpoint into state
// values. It is the hub's ZCL-to-state path, pure apart from updating p;
// it never panics on any input (FuzzDecodeFrame).
func decodeFrame(m *model, p *params, ep zigbee.Endpoint, c zigbee.ClusterID, f zcl.Frame) (decoded, error) {
	var out decoded
	switch {
	case f.IsGlobal(zcl.CmdReportAttributes):
		rep, err := zcl.ParseReportAttributes(f.Payload)
		if err != nil {
			return out, err
		}
		decodeAttrs(m, p, ep, c, rep.Records, &out)
	case f.IsGlobal(zcl.CmdReadAttributesResponse):
		rsp, err := zcl.ParseReadAttributesResponse(f.Payload)
		if err != nil {
			return out, err
		}
		recs := make([]zcl.AttributeValue, 0, len(rsp.Records))
		for _, r := range rsp.Records {
			if r.Status == zcl.StatusSuccess {
				recs = append(recs, zcl.AttributeValue{ID: r.ID, Value: r.Value})
			}
		}
		decodeAttrs(m, p, ep, c, recs, &out)
	case f.Type == zcl.FrameCluster && f.Direction == zcl.ServerToClient && c == zcl.ClusterIASZone && f.Command == zcl.CmdZoneStatusChangeNotification:
		n, err := zcl.ParseZoneStatusChangeNotification(f.Payload)
		if err != nil {
			return out, err
		}
		decodeAttrs(m, p, ep, c, []zcl.AttributeValue{{ID: zcl.AttrIASZoneStatus, Value: zcl.Bitmap16(uint16(n.ZoneStatus))}}, &out)
	case f.Type == zcl.FrameCluster && f.Direction == zcl.ClientToServer && m != nil:
		sfx, ok := m.actions[epCluster{ep, c}]
		if !ok {
			return out, nil
		}
		if a := actionName(c, f.Command, f.Payload); a != "" {
			out.set("action", "", a+sfx)
			out.action = true
		}
	}
	return out, nil
}

// actionName names a command a remote sent, as Zigbee2MQTT does.
func actionName(c zigbee.ClusterID, cmd zcl.CommandID, payload []byte) string {
	switch c {
	case zcl.ClusterOnOff:
		switch cmd {
		case zcl.CmdOff, zcl.CmdOffWithEffect:
			return "off"
		case zcl.CmdOn, zcl.CmdOnWithRecallGlobalScene, zcl.CmdOnWithTimedOff:
			return "on"
		case zcl.CmdToggle:
			return "toggle"
		}
	case zcl.ClusterLevelControl:
		dir := func(up bool) string {
			if up {
				return "up"
			}
			return "down"
		}
		switch cmd &^ 0x04 { // the "with on/off" variants
		case zcl.CmdMoveToLevel:
			return "brightness_move_to_level"
		case zcl.CmdMove:
			return "brightness_move_" + dir(len(payload) > 0 && payload[0] == 0)
		case zcl.CmdStep:
			return "brightness_step_" + dir(len(payload) > 0 && payload[0] == 0)
		case zcl.CmdStop:
			return "brightness_stop"
		}
	case zcl.ClusterScenes:
		if cmd == zcl.CmdScenesRecall && len(payload) >= 3 {
			return "recall_" + strconv.Itoa(int(payload[2]))
		}
	case zcl.ClusterWindowCovering:
		switch cmd {
		case zcl.CmdWindowCoveringUpOpen:
			return "open"
		case zcl.CmdWindowCoveringDownClose:
			return "close"
		case zcl.CmdWindowCoveringStop:
			return "stop"
		}
	}
	if cl, ok := zcl.ClusterByID(c); ok {
		if command, ok := cl.Command(cmd, zcl.ClientToServer); ok {
			return snake(command.Name)
		}
	}
	return ""
}

// snake turns herdsman's camelCase into snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// handleMessage is the radio path: one ZCL message from a device. It
// decodes, updates the state cache, publishes and marks the device for
// persistence, all without blocking on the network or the store.
func (h *Hub) handleMessage(msg zigbee.Message) {
	if msg.Profile == zigbee.ProfileZDO || msg.SrcEndpoint == 0 {
		return // ZDO traffic is the coordinator driver's
	}
	f, ferr := zcl.ParseFrame(msg.Payload)
	now := h.now()

	h.mu.Lock()
	h.counters.messages++
	d := h.byNWK[msg.Src]
	if d == nil {
		h.counters.unknownSource++
		h.mu.Unlock()
		h.log.Debug("message from unknown device", "event", "message_unknown_source", "nwk", msg.Src.String(), "cluster", msg.Cluster.String())
		return
	}
	d.lastSeen, d.lqi = now, msg.LQI
	h.seenLocked(d)
	if ferr != nil {
		h.counters.malformed++
		h.bus.publish(MessageRejected{Device: d.name, IEEE: d.ieee, Cluster: msg.Cluster, Err: ferr})
		h.p.markState(d.ieee)
		name := d.name
		h.mu.Unlock()
		h.log.Warn("malformed ZCL frame", "event", "zcl_malformed", "device", name, "cluster", msg.Cluster.String(), "err", ferr)
		return
	}
	res, err := decodeFrame(d.m, &d.params, msg.SrcEndpoint, msg.Cluster, f)
	if err != nil {
		h.counters.malformed++
		h.bus.publish(MessageRejected{Device: d.name, IEEE: d.ieee, Cluster: msg.Cluster, Err: err})
	}
	for _, e := range res.errs {
		h.counters.rejected++
		h.bus.publish(MessageRejected{Device: d.name, IEEE: d.ieee, Cluster: msg.Cluster, Err: e})
	}
	if res.values == nil {
		res.values = make(map[string]any, 1)
	}
	res.values["linkquality"] = lqiValues[msg.LQI]
	h.applyLocked(d, res.values, res.action, now)
	for _, w := range d.watches {
		for k := range res.values {
			w.seen[k] = true
		}
	}
	resume := d.interview.State != InterviewSuccessful && !d.interviewing && !d.disabled &&
		now.Sub(d.interviewEnd) >= h.cfg.InterviewRetryAfter
	ieee, name := d.ieee, d.name
	h.mu.Unlock()

	if err != nil {
		h.log.Warn("malformed ZCL payload", "event", "zcl_malformed", "device", name, "cluster", msg.Cluster.String(), "cmd", int(f.Command), "err", err)
	}
	for _, e := range res.errs {
		h.log.Warn("value rejected", "event", "value_rejected", "device", name, "err", e)
	}
	if h.nwaiters.Load() > 0 {
		h.deliver(ieee, msg.Cluster, f)
	}
	h.answer(msg, f)
	if resume {
		h.startInterview(ieee)
	}
}

// applyLocked merges values into the device state, publishes StateChanged
// with what changed and queues persistence and history. Actions are
// published every time but not kept in the state.
func (h *Hub) applyLocked(d *device, values map[string]any, action bool, at time.Time) {
	var changed map[string]any
	next := d.state
	copied := false
	for k, v := range values {
		if k == "action" {
			continue
		}
		old, had := next[k]
		if sub, ok := v.(map[string]any); ok {
			om, _ := old.(map[string]any)
			merged := make(map[string]any, len(om)+len(sub))
			maps.Copy(merged, om)
			diff := false
			for sk, sv := range sub {
				if ov, ok := merged[sk]; !ok || ov != sv {
					diff = true
				}
				merged[sk] = sv
			}
			if !diff {
				continue
			}
			v = merged
		} else if had && old == v {
			continue
		}
		if !copied {
			next = make(map[string]any, len(d.state)+len(values))
			maps.Copy(next, d.state)
			copied = true
		}
		next[k] = v
		if changed == nil {
			changed = make(map[string]any, len(values))
		}
		changed[k] = v
	}
	state := next
	if action {
		if changed == nil {
			changed = make(map[string]any, 1)
		}
		changed["action"] = values["action"]
		state = make(map[string]any, len(next)+1)
		maps.Copy(state, next)
		state["action"] = values["action"]
	}
	d.state = next
	h.p.markState(d.ieee)
	if changed == nil {
		return
	}
	h.bus.publish(StateChanged{Device: d.name, IEEE: d.ieee, Changed: changed, State: state, At: at})
	if len(h.groups.byID) > 0 {
		h.followGroupsLocked(d, changed)
	}
	var buf [4]HistoryPoint
	pts := buf[:0]
	for k, v := range changed {
		switch v.(type) {
		case float64, bool, string:
			if k != "linkquality" {
				pts = append(pts, HistoryPoint{IEEE: d.ieee, Property: k, At: at, Value: v})
			}
		}
	}
	if len(pts) > 0 {
		h.p.addHistory(pts...)
	}
}

// lqiValues holds every link quality as the float64 the state keeps,
// boxed once: the radio path would otherwise allocate one per message.
var lqiValues = func() (v [256]any) {
	for i := range v {
		v[i] = float64(i)
	}
	return v
}()

// seenLocked marks a device that was just heard from as online.
func (h *Hub) seenLocked(d *device) {
	d.pingFails = 0
	d.nextPing = time.Time{}
	if !d.available {
		d.available = true
		h.bus.publish(AvailabilityChanged{Device: d.name, IEEE: d.ieee, Available: true})
	}
}

// response is an answer the hub owes a device; a goroutine sends them so
// the radio path never waits for the coordinator.
type response struct {
	nwk     zigbee.NWK
	ep      zigbee.Endpoint
	srcEp   zigbee.Endpoint
	cluster zigbee.ClusterID
	frame   zcl.Frame
}

// answer queues what a device's frame asks for: a default response to a
// report or command that wants one (ZCL §2.5.12.2), a zone enrol response,
// a check-in response. A full queue drops the answer (devices retry or do
// without).
func (h *Hub) answer(msg zigbee.Message, f zcl.Frame) {
	if msg.WasBroadcast || msg.Group != 0 {
		return
	}
	var out zcl.Frame
	switch {
	case f.Type == zcl.FrameCluster && f.Direction == zcl.ServerToClient && msg.Cluster == zcl.ClusterIASZone && f.Command == zcl.CmdZoneEnrollRequest:
		out = f.Reply(zcl.FrameCluster, zcl.CmdZoneEnrollResponse, zcl.ZoneEnrollResponse{Code: 0, ZoneID: 23}.AppendTo(nil))
	case f.Type == zcl.FrameCluster && f.Direction == zcl.ServerToClient && msg.Cluster == zcl.ClusterPollControl && f.Command == zcl.CmdPollCheckIn:
		out = f.Reply(zcl.FrameCluster, zcl.CmdPollCheckInResponse, zcl.CheckInResponse{}.AppendTo(nil))
	case f.WantsDefaultResponse() && (f.IsGlobal(zcl.CmdReportAttributes) || f.Type == zcl.FrameCluster && !isResponse(msg.Cluster, f)):
		out = f.Reply(zcl.FrameGlobal, zcl.CmdDefaultResponse, zcl.DefaultResponse{Command: f.Command, Status: zcl.StatusSuccess}.AppendTo(nil))
	default:
		return
	}
	select {
	case h.respQ <- response{nwk: msg.Src, ep: msg.SrcEndpoint, srcEp: msg.DstEndpoint, cluster: msg.Cluster, frame: out}:
	default:
	}
}

// isResponse reports cluster-specific frames that answer a command of
// ours (those never get a default response).
func isResponse(c zigbee.ClusterID, f zcl.Frame) bool {
	if f.Direction != zcl.ServerToClient {
		return false
	}
	switch c {
	case zcl.ClusterDoorLock:
		return f.Command <= zcl.CmdUnlockWithTimeout
	case zcl.ClusterGroups, zcl.ClusterScenes, zcl.ClusterIdentify:
		return true
	}
	return false
}

// respond sends queued answers until ctx ends.
func (h *Hub) respond(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-h.respQ:
			f := zigbee.APSFrame{Dst: zigbee.Unicast(r.nwk), DstEndpoint: r.ep, SrcEndpoint: r.srcEp,
				Profile: zigbee.ProfileHA, Cluster: r.cluster, Payload: r.frame.Encode()}
			if f.SrcEndpoint == 0 {
				f.SrcEndpoint = h.cfg.Endpoint
			}
			sctx, cancel := context.WithTimeout(ctx, h.cfg.CommandTimeout)
			err := h.c.Send(sctx, f)
			cancel()
			if err != nil && ctx.Err() == nil {
				h.log.Debug("answer to device not delivered", "event", "answer_failed", "nwk", r.nwk.String(), "cluster", r.cluster.String(), "err", err)
			}
		}
	}
}
