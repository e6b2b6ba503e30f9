package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// command is one ZCL command a Set sends.
type command struct {
	ep      zigbee.Endpoint
	cluster zigbee.ClusterID
	frame   zcl.Frame
	op      string   // for errors: "set brightness"
	props   []string // properties it changes, confirmed afterwards
	// reads overrides the attributes read to confirm (default: the
	// props' attributes).
	reads []zcl.AttributeID
}

// setRequest is a validated Set being turned into commands.
type setRequest struct {
	m          *model
	values     map[string]any // normalised, by property
	transition uint16         // tenths of a second
	cmds       []command
}

// setFunc appends the commands that set p to v (already normalised).
type setFunc func(r *setRequest, p *prop, v any)

func (r *setRequest) add(p *prop, cmd zcl.CommandID, payload zcl.Payload, props ...string) {
	r.cmds = append(r.cmds, command{ep: p.ep, cluster: p.cluster, frame: zcl.NewCommand(0, cmd, payload),
		op: "set " + p.name, props: props})
}

func setOnOff(r *setRequest, p *prop, v any) {
	s := v.(string)
	if s == "ON" {
		if b, ok := r.values["brightness"+p.suffix].(float64); ok && b > 0 {
			return // moveToLevelWithOnOff switches it on
		}
	}
	cmd := map[string]zcl.CommandID{"ON": zcl.CmdOn, "OFF": zcl.CmdOff, "TOGGLE": zcl.CmdToggle}[s]
	r.add(p, cmd, nil, p.name)
}

func setBrightness(r *setRequest, p *prop, v any) {
	level := uint8(v.(float64))
	state := "state" + p.suffix
	_, hasState := r.m.props[state]
	if level == 0 && hasState {
		r.cmds = append(r.cmds, command{ep: p.ep, cluster: zcl.ClusterOnOff, frame: zcl.NewCommand(0, zcl.CmdOff, nil),
			op: "set " + p.name, props: []string{state}})
		return
	}
	payload := zcl.MoveToLevel{Level: level, TransitionTime: r.transition}
	if s, _ := r.values[state].(string); s == "OFF" || !hasState {
		r.add(p, zcl.CmdMoveToLevel, payload, p.name)
		return
	}
	r.add(p, zcl.CmdMoveToLevelWithOnOff, payload, p.name, state)
}

func setColorTemp(r *setRequest, p *prop, v any) {
	r.add(p, zcl.CmdMoveToColorTemp, zcl.MoveToColorTemp{Mireds: uint16(v.(float64)), TransitionTime: r.transition}, p.name)
}

// setColor sends xy or hue/saturation, whichever the value holds (a
// normalised colour has either x and y or hue and saturation).
func setColor(r *setRequest, p *prop, v any) {
	c := v.(map[string]any)
	if x, ok := c["x"].(float64); ok {
		y := c["y"].(float64)
		r.add(p, zcl.CmdMoveToColor, zcl.MoveToColor{X: scaleXY(x), Y: scaleXY(y), TransitionTime: r.transition}, p.name)
		r.cmds[len(r.cmds)-1].reads = []zcl.AttributeID{0x0003, 0x0004}
		return
	}
	hue := uint8(math.Round(c["hue"].(float64) * 254 / 360))
	sat := uint8(math.Round(c["saturation"].(float64) * 254 / 100))
	r.add(p, zcl.CmdMoveToHueAndSaturation, zcl.MoveToHueSat{Hue: hue, Saturation: sat, TransitionTime: r.transition}, p.name)
	r.cmds[len(r.cmds)-1].reads = []zcl.AttributeID{0x0000, 0x0001}
}

// scaleXY converts a CIE coordinate to the ZCL encoding (x·65536, at most
// 0xFEFF; ZCL §5.2.2.2.1.4).
func scaleXY(f float64) uint16 { return uint16(min(math.Round(f*65535), 0xFEFF)) }

func setCover(r *setRequest, p *prop, v any) {
	cmd := map[string]zcl.CommandID{"OPEN": zcl.CmdWindowCoveringUpOpen, "CLOSE": zcl.CmdWindowCoveringDownClose,
		"STOP": zcl.CmdWindowCoveringStop}[v.(string)]
	r.add(p, cmd, nil)
}

func setCoverPosition(r *setRequest, p *prop, v any) {
	r.add(p, zcl.CmdWindowCoveringGoToLiftPct, zcl.GoToPercentage{Percent: 100 - uint8(v.(float64))}, p.name)
}

func setLock(r *setRequest, p *prop, v any) {
	cmd := zcl.CmdUnlockDoor
	if v.(string) == "LOCK" {
		cmd = zcl.CmdLockDoor
	}
	props := []string{p.name}
	if _, ok := r.m.props["lock_state"+p.suffix]; ok {
		props = append(props, "lock_state"+p.suffix)
	}
	r.add(p, cmd, zcl.DoorLockCommand{}, props...)
}

// setWriteAttr writes a numeric attribute scaled by k (°C → 0.01 °C).
func setWriteAttr(attr zcl.AttributeID, t zcl.DataType, k float64) setFunc {
	return func(r *setRequest, p *prop, v any) {
		val := zcl.NewInt(t, int64(math.Round(v.(float64)*k)))
		w := zcl.WriteAttributes{Records: []zcl.AttributeValue{{ID: attr, Value: val}}}
		r.cmds = append(r.cmds, command{ep: p.ep, cluster: p.cluster, frame: zcl.NewGlobal(0, zcl.CmdWriteAttributes, w),
			op: "set " + p.name, props: []string{p.name}})
	}
}

// setWriteEnum writes an enum8 attribute by name.
func setWriteEnum(attr zcl.AttributeID, names map[uint64]string) setFunc {
	return func(r *setRequest, p *prop, v any) {
		k, _ := keyOf(names, v.(string))
		w := zcl.WriteAttributes{Records: []zcl.AttributeValue{{ID: attr, Value: zcl.Enum8(uint8(k))}}}
		r.cmds = append(r.cmds, command{ep: p.ep, cluster: p.cluster, frame: zcl.NewGlobal(0, zcl.CmdWriteAttributes, w),
			op: "set " + p.name, props: []string{p.name}})
	}
}

// setOrder sorts properties so that combined commands come out right
// (state before brightness, brightness before colour).
func setOrder(name string) int {
	for i, p := range []string{"state", "brightness", "color_temp", "color"} {
		if name == p || strings.HasPrefix(name, p+"_l") {
			return i
		}
	}
	return 10
}

// Set changes properties of a device, Zigbee2MQTT style:
//
//	h.Set(ctx, "kitchen_light", map[string]any{"state": "ON", "brightness": 120, "transition": 2})
//
// Values are validated against the device's exposes before anything is
// sent (a *PropertyError: unknown property, read-only, invalid value, out
// of range). Accepted forms besides the exposes: state ON/OFF/TOGGLE in
// any case, brightness_percent 0–100, color_temp presets ("warmest",
// "coolest", ...), color as {x,y}, {hue,saturation}, {h,s}, {hex:"#rrggbb"},
// "#rrggbb", {r,g,b} or {rgb:"r,g,b"}, and transition in seconds.
//
// Each command is sent with the coordinator and Set waits for the device's
// answer (default response or command response), then for the new values:
// those the device reported meanwhile, else it reads them back. It returns
// the values the device reported, not the ones asked for. A failure is a
// *CommandError saying what happened (ErrTimeout, ErrNotDelivered,
// ErrRejected with the ZCL status; also ErrDeviceOffline when the device
// was known to be offline). Commands already sent are not undone.
func (h *Hub) Set(ctx context.Context, name string, values map[string]any) (map[string]any, error) {
	h.mu.Lock()
	d, err := h.lookupLocked(name)
	if err != nil {
		h.mu.Unlock()
		return nil, err
	}
	if d.m == nil {
		h.mu.Unlock()
		return nil, fmt.Errorf("hub: %s: set: %w", name, ErrNotInterviewed)
	}
	m, t := d.m, h.targetOf(d)
	h.mu.Unlock()

	r, err := validateSet(m, t.name, values)
	if err != nil {
		return nil, err
	}
	if len(r.cmds) == 0 {
		return map[string]any{}, nil
	}
	if err := h.checkRunning(t.name, r.cmds[0].op); err != nil {
		return nil, err
	}

	w := &watch{seen: map[string]bool{}}
	h.addWatch(t.ieee, w)
	defer h.removeWatch(t.ieee, w)
	var want []string
	for _, c := range r.cmds {
		rsp, err := h.zclRequest(ctx, t, c.op, c.ep, c.cluster, c.frame, true)
		if err == nil {
			err = checkStatus(t, c.op, rsp)
		}
		if err != nil {
			return nil, err
		}
		for _, p := range c.props {
			if !slices.Contains(want, p) {
				want = append(want, p)
			}
		}
	}
	return h.confirm(ctx, t, m, r.cmds, w, want)
}

// watch collects the properties a device reported while a Set runs.
type watch struct {
	seen map[string]bool
}

func (h *Hub) addWatch(ieee zigbee.IEEE, w *watch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := h.devs[ieee]; d != nil {
		d.watches = append(d.watches, w)
	}
}

func (h *Hub) removeWatch(ieee zigbee.IEEE, w *watch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := h.devs[ieee]; d != nil {
		d.watches = slices.DeleteFunc(d.watches, func(x *watch) bool { return x == w })
	}
}

// confirm reads back the wanted properties the device did not report on
// its own, and returns their cached values.
func (h *Hub) confirm(ctx context.Context, t target, m *model, cmds []command, w *watch, want []string) (map[string]any, error) {
	h.mu.Lock()
	var missing []*prop
	var overrides = map[string][]zcl.AttributeID{}
	for _, c := range cmds {
		for _, pn := range c.props {
			if c.reads != nil {
				overrides[pn] = c.reads
			}
		}
	}
	for _, pn := range want {
		p := m.props[pn]
		if p == nil || w.seen[pn] || len(p.attrs) == 0 {
			continue
		}
		if o, ok := overrides[pn]; ok {
			cp := *p
			cp.attrs = o
			p = &cp
		}
		missing = append(missing, p)
	}
	h.mu.Unlock()
	for _, g := range readGroups(m, missing) {
		if _, err := h.readAttrs(ctx, t, "confirm "+strings.Join(propNames(missing), ", "), g.ep, g.cluster, g.attrs...); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]any{}
	if d := h.devs[t.ieee]; d != nil {
		for _, pn := range want {
			if v, ok := d.state[pn]; ok {
				if mv, ok := v.(map[string]any); ok {
					v = maps.Clone(mv)
				}
				out[pn] = v
			}
		}
	}
	return out, nil
}

func propNames(ps []*prop) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

// validateSet checks values against the model and builds the commands.
func validateSet(m *model, dev string, values map[string]any) (*setRequest, error) {
	r := &setRequest{m: m, values: map[string]any{}}
	keys := slices.Sorted(maps.Keys(values))
	for _, k := range keys {
		v := values[k]
		if k == "transition" {
			f, ok := toFloat(v)
			if !ok || f < 0 || f > 6553.5 {
				return nil, &PropertyError{Device: dev, Property: k, Value: v, Reason: ErrInvalidValue, Detail: "seconds, 0–6553.5"}
			}
			r.transition = uint16(math.Round(f * 10))
			continue
		}
		name := k
		if base, sfx, ok := strings.Cut(k, "brightness_percent"); ok && base == "" {
			name = "brightness" + sfx
			f, ok := toFloat(v)
			if !ok {
				return nil, &PropertyError{Device: dev, Property: k, Value: v, Reason: ErrInvalidValue, Detail: "a number 0–100"}
			}
			if f < 0 || f > 100 {
				return nil, &PropertyError{Device: dev, Property: k, Value: v, Reason: ErrOutOfRange, Detail: "0–100"}
			}
			v = math.Round(f * 254 / 100)
		}
		p := m.props[name]
		if p == nil {
			return nil, &PropertyError{Device: dev, Property: k, Reason: ErrUnknownProperty,
				Suggestion: suggest(k, settable(m)), Detail: "settable: " + strings.Join(settable(m), ", ")}
		}
		if p.set == nil {
			return nil, &PropertyError{Device: dev, Property: k, Value: v, Reason: ErrReadOnly}
		}
		nv, err := normalize(p, v)
		if err != nil {
			err.Device, err.Property = dev, k
			return nil, err
		}
		r.values[name] = nv
	}
	names := slices.Collect(maps.Keys(r.values))
	slices.SortFunc(names, func(a, b string) int {
		if d := setOrder(a) - setOrder(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, n := range names {
		p := m.props[n]
		p.set(r, p, r.values[n])
	}
	return r, nil
}

// settable lists the settable properties, sorted.
func settable(m *model) []string {
	var out []string
	for n, p := range m.props {
		if p.set != nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// toFloat accepts Go numbers and json.Number.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func rangeText(x *Expose) string {
	lo, hi := "−∞", "∞"
	if x.ValueMin != nil {
		lo = strconv.FormatFloat(*x.ValueMin, 'f', -1, 64)
	}
	if x.ValueMax != nil {
		hi = strconv.FormatFloat(*x.ValueMax, 'f', -1, 64)
	}
	return lo + "–" + hi
}

// normalize validates v against the property's expose and returns the
// canonical value (upper-case state, a float64 number, a colour map).
func normalize(p *prop, v any) (any, *PropertyError) {
	x := p.expose
	if p.base == "color" {
		return normalizeColor(v)
	}
	switch x.Type {
	case "binary":
		opts := []any{x.ValueOn, x.ValueOff}
		if x.ValueToggle != nil {
			opts = append(opts, x.ValueToggle)
		}
		if b, ok := v.(bool); ok {
			if b {
				return x.ValueOn, nil
			}
			return x.ValueOff, nil
		}
		if s, ok := v.(string); ok {
			for _, o := range opts {
				if os, ok := o.(string); ok && strings.EqualFold(os, strings.TrimSpace(s)) {
					return os, nil
				}
			}
		}
		return nil, &PropertyError{Value: v, Reason: ErrInvalidValue, Detail: "one of " + joinAny(opts)}
	case "enum":
		if s, ok := v.(string); ok {
			for _, o := range x.Values {
				if strings.EqualFold(o, strings.TrimSpace(s)) {
					return o, nil
				}
			}
		}
		return nil, &PropertyError{Value: v, Reason: ErrInvalidValue, Detail: "one of " + strings.Join(x.Values, ", ")}
	case "numeric":
		f, ok := toFloat(v)
		if !ok {
			if s, isStr := v.(string); isStr {
				for _, pr := range x.Presets {
					if strings.EqualFold(pr.Name, strings.TrimSpace(s)) {
						return pr.Value, nil
					}
				}
			}
			detail := "a number " + rangeText(x)
			if len(x.Presets) > 0 {
				var names []string
				for _, pr := range x.Presets {
					names = append(names, pr.Name)
				}
				detail += " or one of " + strings.Join(names, ", ")
			}
			return nil, &PropertyError{Value: v, Reason: ErrInvalidValue, Detail: detail}
		}
		if (x.ValueMin != nil && f < *x.ValueMin) || (x.ValueMax != nil && f > *x.ValueMax) {
			return nil, &PropertyError{Value: v, Reason: ErrOutOfRange, Detail: rangeText(x)}
		}
		if x.ValueStep != nil && *x.ValueStep > 0 {
			f = math.Round(f / *x.ValueStep) * *x.ValueStep
		} else if x.Unit != "°C" {
			f = math.Round(f)
		}
		return f, nil
	}
	return nil, &PropertyError{Value: v, Reason: ErrReadOnly}
}

func joinAny(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

const colorForms = `{"x":0–1,"y":0–1}, {"hue":0–360,"saturation":0–100}, {"hex":"#rrggbb"}, {"r","g","b"} or {"rgb":"r,g,b"}`

// normalizeColor turns every accepted colour form into {x,y} or
// {hue,saturation}.
func normalizeColor(v any) (any, *PropertyError) {
	bad := func(reason error) *PropertyError {
		return &PropertyError{Value: v, Reason: reason, Detail: colorForms}
	}
	if s, ok := v.(string); ok {
		v = map[string]any{"hex": s}
	}
	c, ok := v.(map[string]any)
	if !ok {
		return nil, bad(ErrInvalidValue)
	}
	num := func(k string) (float64, bool, bool) { // value, present, valid
		raw, ok := c[k]
		if !ok {
			return 0, false, true
		}
		f, ok := toFloat(raw)
		return f, true, ok
	}
	if x, hasX, okX := num("x"); hasX {
		y, hasY, okY := num("y")
		if !hasY || !okX || !okY {
			return nil, bad(ErrInvalidValue)
		}
		if x < 0 || x > 1 || y < 0 || y > 1 {
			return nil, bad(ErrOutOfRange)
		}
		return map[string]any{"x": x, "y": y}, nil
	}
	hue, hasH, okH := num("hue")
	if !hasH {
		hue, hasH, okH = num("h")
	}
	sat, hasS, okS := num("saturation")
	if !hasS {
		sat, hasS, okS = num("s")
	}
	if hasH || hasS {
		if !hasH || !hasS || !okH || !okS {
			return nil, bad(ErrInvalidValue)
		}
		if hue < 0 || hue > 360 || sat < 0 || sat > 100 {
			return nil, bad(ErrOutOfRange)
		}
		return map[string]any{"hue": hue, "saturation": sat}, nil
	}
	var rgb [3]float64
	switch {
	case c["hex"] != nil:
		s, _ := c["hex"].(string)
		s = strings.TrimPrefix(strings.TrimSpace(s), "#")
		n, err := strconv.ParseUint(s, 16, 32)
		if len(s) != 6 || err != nil {
			return nil, bad(ErrInvalidValue)
		}
		rgb = [3]float64{float64(n >> 16 & 0xFF), float64(n >> 8 & 0xFF), float64(n & 0xFF)}
	case c["rgb"] != nil:
		s, _ := c["rgb"].(string)
		parts := strings.Split(s, ",")
		if len(parts) != 3 {
			return nil, bad(ErrInvalidValue)
		}
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, bad(ErrInvalidValue)
			}
			rgb[i] = f
		}
	case c["r"] != nil || c["g"] != nil || c["b"] != nil:
		for i, k := range []string{"r", "g", "b"} {
			f, has, ok := num(k)
			if !has || !ok {
				return nil, bad(ErrInvalidValue)
			}
			rgb[i] = f
		}
	default:
		return nil, bad(ErrInvalidValue)
	}
	for _, f := range rgb {
		if f < 0 || f > 255 {
			return nil, bad(ErrOutOfRange)
		}
	}
	x, y := rgbToXY(rgb[0], rgb[1], rgb[2])
	return map[string]any{"x": x, "y": y}, nil
}

// rgbToXY converts sRGB (0–255) to CIE 1931 xy: undo the sRGB transfer
// curve, then the sRGB→XYZ matrix of IEC 61966-2-1 (D65).
func rgbToXY(r, g, b float64) (float64, float64) {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	r, g, b = lin(r), lin(g), lin(b)
	X := 0.4124*r + 0.3576*g + 0.1805*b
	Y := 0.2126*r + 0.7152*g + 0.0722*b
	Z := 0.0193*r + 0.1192*g + 0.9505*b
	sum := X + Y + Z
	if sum == 0 {
		return 0.3127, 0.3290 // black: the white point, with brightness doing the rest
	}
	return round(X/sum, 4), round(Y/sum, 4)
}

// Get reads properties from the device now and returns their values (all
// readable properties when none are named). Unknown properties and
// properties that cannot be read are a *PropertyError; a device that does
// not answer a *CommandError.
func (h *Hub) Get(ctx context.Context, name string, props ...string) (map[string]any, error) {
	h.mu.Lock()
	d, err := h.lookupLocked(name)
	if err != nil {
		h.mu.Unlock()
		return nil, err
	}
	if d.m == nil {
		h.mu.Unlock()
		return nil, fmt.Errorf("hub: %s: get: %w", name, ErrNotInterviewed)
	}
	m, t := d.m, h.targetOf(d)
	h.mu.Unlock()
	var ps []*prop
	for _, pn := range props {
		p := m.props[pn]
		if p == nil {
			var all []string
			for n := range m.props {
				all = append(all, n)
			}
			return nil, &PropertyError{Device: t.name, Property: pn, Reason: ErrUnknownProperty, Suggestion: suggest(pn, all)}
		}
		if p.expose.Access&AccessGet == 0 || len(p.attrs) == 0 {
			return nil, &PropertyError{Device: t.name, Property: pn, Reason: ErrNotReadable}
		}
		ps = append(ps, p)
	}
	if len(props) == 0 {
		for _, p := range m.props {
			if p.expose.Access&AccessGet != 0 && len(p.attrs) > 0 {
				ps = append(ps, p)
			}
		}
		slices.SortFunc(ps, func(a, b *prop) int { return strings.Compare(a.name, b.name) })
	}
	if err := h.checkRunning(t.name, "get"); err != nil {
		return nil, err
	}
	for _, g := range readGroups(m, ps) {
		recs, err := h.readAttrs(ctx, t, "read "+strings.Join(propNames(ps), ", "), g.ep, g.cluster, g.attrs...)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			if rec.Status != zcl.StatusSuccess {
				return nil, &CommandError{Device: t.name, Op: "read " + zcl.ClusterName(g.cluster) + "/" + rec.ID.String(),
					Kind: ErrRejected, Err: fmt.Errorf("ZCL status %v", rec.Status)}
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]any{}
	if d := h.devs[t.ieee]; d != nil {
		for _, p := range ps {
			if v, ok := d.state[p.name]; ok {
				if mv, ok := v.(map[string]any); ok {
					v = maps.Clone(mv)
				}
				out[p.name] = v
			}
		}
	}
	return out, nil
}
