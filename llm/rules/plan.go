package rules

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/llm"
)

// step is what one clause does: tool calls, or a text to say.
type step struct {
	c     clause
	devs  []*DeviceInfo
	calls []llm.ToolCall
	text  string // said instead of (or, with no calls, as) the answer
}

func call(name string, args map[string]any) llm.ToolCall {
	b, _ := json.Marshal(args) // maps of strings, numbers and maps always marshal
	return llm.ToolCall{Name: name, Arguments: b}
}

// unavailable says a tool is not offered to this chat.
func unavailable(tool, what string) string {
	return "I can't " + what + " here: the " + tool + " tool isn't available to this chat."
}

// plan decides what clause c does.
func plan(c clause, devs []DeviceInfo, prev []*DeviceInfo, tools map[string]bool) step {
	s := step{c: c}
	switch c.kind {
	case kindHelp:
		s.text = helpText
	case kindThanks:
		s.text = "You're welcome!"
	case kindPair:
		s.text = pairText
	case kindPermitJoin:
		if !tools[ToolPermitJoin] {
			s.text = "Opening the network for joining isn't allowed from this chat. " + pairText
			break
		}
		s.calls = []llm.ToolCall{call(ToolPermitJoin, map[string]any{"seconds": c.duration})}
	case kindListRooms:
		if !tools[ToolListRooms] {
			s.text = unavailable(ToolListRooms, "list rooms")
			break
		}
		s.calls = []llm.ToolCall{call(ToolListRooms, map[string]any{})}
	case kindListDevices:
		s.text = listDevices(devs, c.words)
	case kindWhatsOn:
		planWhatsOn(&s, devs, tools)
	case kindSet:
		planSet(&s, devs, prev, tools)
	case kindQuery:
		planQuery(&s, devs, prev, tools)
	case kindHistory:
		planHistory(&s, devs, prev, tools)
	default:
		if len(c.words) == 0 {
			s.text = "Sorry, I didn't understand \"" + c.text + "\". " + helpText
			break
		}
		if !mentionsDevice(devs, c.words) {
			s.text = "Sorry, I didn't understand \"" + c.text + "\". " + helpText
			break
		}
		if o := resolve(devs, c.words, nil, pickAll, ""); o.ask != "" {
			s.text = o.ask
			break
		}
		s.text = "What should I do with the " + strings.Join(c.words, " ") + "? You can say \"turn it on\", \"dim it to 30%\" or \"what is its state?\"."
	}
	return s
}

// mentionsDevice reports whether any word is close to a word of a device.
func mentionsDevice(devs []DeviceInfo, ws []string) bool {
	for i := range devs {
		for _, w := range ws {
			if m, ok := fit(&devs[i], []string{w}); ok && m.score > 1 {
				return true
			}
		}
	}
	return false
}

// targets finds the devices of a clause, or a question to ask.
func targets(c clause, devs []DeviceInfo, prev []*DeviceInfo, need []string, mode pick, what, verb string) ([]*DeviceInfo, string) {
	if len(c.groups) > 1 {
		var out []*DeviceInfo
		for _, g := range c.groups {
			gm := mode
			if c.all || slices.ContainsFunc(g, func(w string) bool { return pluralTypes[w] }) {
				gm = pickAll
			}
			o := resolve(devs, g, need, gm, what)
			if o.ask != "" {
				return nil, o.ask
			}
			for _, d := range o.devs {
				if !slices.Contains(out, d) {
					out = append(out, d)
				}
			}
		}
		return out, ""
	}
	if len(c.words) == 0 {
		switch {
		case c.pronoun && len(prev) > 0:
			var ok []*DeviceInfo
			for _, d := range prev {
				if hasAll(d, need) {
					ok = append(ok, d)
				}
			}
			if len(ok) == 0 {
				return nil, capitalised(display(prev[0].Name)) + " can't " + what + "."
			}
			return ok, ""
		case c.all:
			var out []*DeviceInfo
			for i := range devs {
				d := &devs[i]
				if hasAll(d, need) && (c.kind != kindSet || d.switchable() || slices.Contains(need, "lock_state") && d.kind() == "lock") {
					out = append(out, d)
				}
			}
			if len(out) == 0 {
				return nil, "None of your devices can " + what + "."
			}
			return out, ""
		}
		return nil, "Which device should I " + verb + "?"
	}
	if c.all {
		mode = pickAll
	}
	o := resolve(devs, c.words, need, mode, what)
	if o.ask != "" && len(c.soft) > 0 && len(c.soft) < len(c.words) {
		// "reading" may be a name word or just a word: try without it
		if o2 := resolve(devs, without(c.words, c.soft...), need, mode, what); o2.ask == "" {
			o = o2
		}
	}
	if o.ask != "" {
		return nil, o.ask
	}
	return o.devs, ""
}

// setNeed is what a set clause needs from a device, and how to say it.
func setNeed(c clause) (need []string, what, verb string) {
	what, verb = "be switched on or off", "switch"
	for k, v := range c.values {
		switch k {
		case "state":
			if v == "LOCK" || v == "UNLOCK" {
				need = append(need, "lock_state")
				what, verb = "be locked or unlocked", strings.ToLower(v.(string))
			} else {
				need = append(need, "state")
				verb = "turn " + strings.ToLower(v.(string))
				if v == "TOGGLE" {
					verb = "toggle"
				}
			}
		case "brightness":
			need = append(need, "brightness")
			what, verb = "be dimmed", "dim"
		case "color_temp":
			need = append(need, "color_temp")
			what, verb = "change its white tone", "change"
		case "color":
			need = append(need, "color")
			what, verb = "change colour", "change"
		}
	}
	if c.rel != 0 {
		need = append(need, "brightness")
		what, verb = "be dimmed", "dim"
		if c.rel > 0 {
			verb = "brighten"
		}
	}
	if c.relTemp != 0 {
		need = append(need, "color_temp")
		what, verb = "change its white tone", "change"
	}
	slices.Sort(need)
	return slices.Compact(need), what, verb
}

func planSet(s *step, devs []DeviceInfo, prev []*DeviceInfo, tools map[string]bool) {
	c := s.c
	need, what, verb := setNeed(c)
	if c.white {
		what, verb = "change colour", "change"
	}
	ds, ask := targets(c, devs, prev, need, pickOne, what, verb)
	if ask != "" {
		s.text = ask
		return
	}
	if c.white {
		ds = slices.DeleteFunc(ds, func(d *DeviceInfo) bool { return !d.has("color_temp") && !d.has("color") })
		if len(ds) == 0 {
			s.text = "That can't change colour."
			return
		}
	}
	if !tools[ToolSetDevice] {
		s.text = unavailable(ToolSetDevice, "change devices")
		return
	}
	for _, d := range ds[:min(len(ds), maxCalls)] {
		v := maps.Clone(c.values)
		if c.rel != 0 {
			cur, ok := num(d.State["brightness"])
			switch {
			case ok && c.rel < 0:
				v["brightness"] = int(max(1, cur-64))
			case ok:
				v["brightness"] = int(min(254, cur+64))
			case c.rel < 0:
				v["brightness"] = 76 // 30%
			default:
				v["brightness"] = 254
			}
		}
		if c.relTemp != 0 {
			cur, ok := num(d.State["color_temp"])
			switch {
			case ok:
				v["color_temp"] = int(min(miredWarmest, max(miredCoolest, cur+float64(c.relTemp*miredStep))))
			case c.relTemp > 0:
				v["color_temp"] = miredWarm
			default:
				v["color_temp"] = miredCool
			}
		}
		if _, ok := v["state"]; !ok && d.has("state") && (v["color"] != nil || v["color_temp"] != nil || c.white || c.relTemp != 0) {
			v["state"] = "ON" // a colour change on a light that is off is meant to be seen
		}
		if c.white {
			if d.has("color_temp") {
				v["color_temp"] = miredNeutral
			} else {
				v["color"] = map[string]any{"hex": "#FFFFFF"}
			}
		}
		s.devs = append(s.devs, d)
		s.calls = append(s.calls, call(ToolSetDevice, map[string]any{"device": d.Name, "values": v}))
	}
}

func planQuery(s *step, devs []DeviceInfo, prev []*DeviceInfo, tools map[string]bool) {
	c := s.c
	var need []string
	what := "be read"
	if c.property != "" {
		need = []string{c.property}
		what = "report " + propertyNoun(c.property)
	}
	if len(c.words) == 0 && !c.pronoun && c.property == "" {
		s.text = "Sorry, I didn't understand \"" + c.text + "\". " + helpText
		return
	}
	if len(c.words) == 0 && !c.pronoun {
		c.all = true
	}
	ds, ask := targets(c, devs, prev, need, pickBest, what, "check")
	if ask != "" {
		s.text = ask
		return
	}
	if !tools[ToolGetDevice] {
		s.text = unavailable(ToolGetDevice, "read devices")
		return
	}
	for _, d := range ds[:min(len(ds), maxCalls)] {
		s.devs = append(s.devs, d)
		s.calls = append(s.calls, call(ToolGetDevice, map[string]any{"device": d.Name}))
	}
}

func planHistory(s *step, devs []DeviceInfo, prev []*DeviceInfo, tools map[string]bool) {
	c := s.c
	multi := len(c.words) == 0 && !c.pronoun
	if multi {
		c.all = true
	}
	ds, ask := targets(c, devs, prev, []string{c.property}, pickOne, "report "+propertyNoun(c.property), "check")
	if ask != "" {
		s.text = ask
		return
	}
	if len(ds) > 1 {
		var names []string
		for _, d := range ds {
			names = append(names, display(d.Name))
		}
		s.text = "Which one do you mean: " + joinOr(names) + "?"
		return
	}
	if !tools[ToolGetHistory] {
		s.text = unavailable(ToolGetHistory, "show history")
		return
	}
	s.devs = ds
	s.calls = []llm.ToolCall{call(ToolGetHistory, map[string]any{
		"device": ds[0].Name, "property": c.property,
		"from": c.from.UTC().Format(time.RFC3339), "to": c.to.UTC().Format(time.RFC3339),
	})}
}

func planWhatsOn(s *step, devs []DeviceInfo, tools map[string]bool) {
	var cands []*DeviceInfo
	for i := range devs {
		d := &devs[i]
		if !d.switchable() {
			continue
		}
		if len(s.c.words) > 0 {
			if _, ok := fit(d, s.c.words); !ok {
				continue
			}
		}
		cands = append(cands, d)
	}
	if len(cands) == 0 {
		if len(s.c.words) > 0 {
			s.text = unknownDevice(devs, s.c.words)
		} else {
			s.text = "You have nothing that switches on and off."
		}
		return
	}
	s.devs = cands
	known := !slices.ContainsFunc(cands, func(d *DeviceInfo) bool { return d.State["state"] == nil })
	if known || !tools[ToolGetDevice] {
		s.text = whatsOn(cands, func(d *DeviceInfo) map[string]any { return d.State })
		return
	}
	for _, d := range cands[:min(len(cands), maxCalls)] {
		s.calls = append(s.calls, call(ToolGetDevice, map[string]any{"device": d.Name}))
	}
}

// answer builds the clause's part of the final answer from the results.
func (s *step) answer(t *turn) string {
	if len(s.calls) == 0 {
		return s.text
	}
	results := make([]llm.Message, len(s.calls))
	for i, c := range s.calls {
		r, ok := t.results[c.ID]
		if !ok {
			r = llm.Message{IsError: true, Text: "no result"}
		}
		results[i] = r
	}
	switch s.c.kind {
	case kindSet:
		return s.answerSet(results)
	case kindQuery:
		return s.answerQuery(results)
	case kindHistory:
		return s.answerHistory(results[0])
	case kindWhatsOn:
		states := map[*DeviceInfo]map[string]any{}
		for i, d := range s.devs[:len(results)] {
			if !results[i].IsError {
				states[d] = stateOf(results[i].Text)
			}
		}
		return whatsOn(s.devs[:len(results)], func(d *DeviceInfo) map[string]any { return states[d] })
	case kindListRooms:
		if results[0].IsError {
			return "I couldn't list the rooms: " + reason(results[0]) + "."
		}
		rooms := roomNames(results[0].Text)
		if len(rooms) == 0 {
			return "No rooms are set up yet."
		}
		return "Your rooms: " + joinNames(rooms) + "."
	case kindPermitJoin:
		if results[0].IsError {
			return "I couldn't open the network for joining: " + reason(results[0]) + "."
		}
		return fmt.Sprintf("The network is open for joining for %d seconds: put the new device in pairing mode now.", s.c.duration)
	}
	return ""
}

func reason(m llm.Message) string {
	r := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(m.Text, "error:"), "Error:"))
	return strings.TrimRight(r, ".")
}

func (s *step) answerSet(results []llm.Message) string {
	var done, failed []string
	var short []string
	for i, d := range s.devs {
		name := display(d.Name)
		if results[i].IsError {
			failed = append(failed, "I couldn't change "+name+": "+reason(results[i])+".")
			continue
		}
		st := stateOf(results[i].Text)
		done = append(done, capitalised(name)+" "+describeSet(s.calls[i], st)+".")
		short = append(short, name)
	}
	var out []string
	if len(done) > 3 {
		out = append(out, fmt.Sprintf("Done for %d devices: %s.", len(done), joinNames(short)))
	} else {
		out = append(out, done...)
	}
	out = append(out, failed...)
	return strings.Join(out, " ")
}

// describeSet says what a device reported after a set_device call; the
// confirmed state wins over what was asked.
func describeSet(c llm.ToolCall, st map[string]any) string {
	var a struct {
		Values map[string]any `json:"values"`
	}
	_ = json.Unmarshal(c.Arguments, &a) // our own call: always valid
	asked := a.Values
	get := func(k string) any {
		if v, ok := st[k]; ok {
			return v
		}
		return asked[k]
	}
	state, _ := get("state").(string)
	switch strings.ToUpper(state) {
	case "OFF":
		return "is now off"
	case "LOCK":
		return "is now locked"
	case "UNLOCK":
		return "is now unlocked"
	}
	if ls, ok := st["lock_state"].(string); ok && ls != "" {
		return "is now " + ls
	}
	var parts []string
	_, askedB := asked["brightness"]
	_, askedT := asked["color_temp"]
	_, askedC := asked["color"]
	onlyOn := !askedB && !askedT && !askedC
	if b, ok := num(get("brightness")); ok && (askedB || onlyOn) {
		if onlyOn {
			parts = append(parts, "on at "+pct(b))
		} else {
			parts = append(parts, "at "+pct(b))
		}
	}
	if _, ok := asked["color_temp"]; ok {
		if m, ok := num(get("color_temp")); ok {
			parts = append(parts, whiteName(m))
		}
	}
	if col, ok := asked["color"].(map[string]any); ok {
		if hex, _ := col["hex"].(string); hex != "" {
			parts = append(parts, colourName(hex))
		}
	}
	if len(parts) == 0 {
		if strings.EqualFold(state, "ON") {
			return "is now on"
		}
		return "has been updated"
	}
	return "is now " + strings.Join(parts, ", ")
}

func whiteName(mireds float64) string {
	switch {
	case mireds >= 400:
		return "warm white"
	case mireds >= 300:
		return "neutral white"
	}
	return "cool white"
}

func colourName(hex string) string {
	for _, n := range slices.Sorted(maps.Keys(colours)) {
		if strings.EqualFold(colours[n], hex) {
			return n
		}
	}
	if strings.EqualFold(hex, "#FFFFFF") {
		return "white"
	}
	return hex
}

func pct(b float64) string {
	return strconv.Itoa(int(math.Round(b*100/254))) + "%"
}

func (s *step) answerQuery(results []llm.Message) string {
	var out []string
	for i, d := range s.devs {
		name := capitalised(display(d.Name))
		if results[i].IsError {
			out = append(out, "I couldn't read "+display(d.Name)+": "+reason(results[i])+".")
			continue
		}
		st := stateOf(results[i].Text)
		if s.c.property == "" {
			out = append(out, name+": "+describeState(st)+".")
			continue
		}
		v, ok := st[s.c.property]
		if !ok && s.c.property == "lock_state" {
			v, ok = st["state"]
		}
		if !ok {
			out = append(out, name+" hasn't reported its "+propertyNoun(s.c.property)+" yet.")
			continue
		}
		out = append(out, sayProperty(name, s.c.property, v, st)+".")
	}
	return strings.Join(out, " ")
}

// sayProperty phrases one value: "Front door is closed", "Bedroom sensor
// reads 21.5 °C".
func sayProperty(name, prop string, v any, st map[string]any) string {
	switch prop {
	case "contact":
		if b, ok := v.(bool); ok {
			if b {
				return name + " is closed"
			}
			return name + " is open"
		}
	case "state":
		if s, ok := v.(string); ok {
			out := name + " is " + strings.ToLower(s)
			if b, ok := num(st["brightness"]); ok && strings.EqualFold(s, "ON") {
				out += " (" + pct(b) + ")"
			}
			return out
		}
	case "lock_state":
		if s, ok := v.(string); ok {
			s = strings.ToLower(s)
			switch s {
			case "lock":
				s = "locked"
			case "unlock":
				s = "unlocked"
			}
			return name + " is " + s
		}
	case "occupancy":
		if b, ok := v.(bool); ok {
			if b {
				return name + " detects someone"
			}
			return name + " detects no one"
		}
	case "brightness":
		if b, ok := num(v); ok {
			return name + " is at " + pct(b)
		}
	}
	return name + " reports " + propertyNoun(prop) + " " + formatValue(prop, v)
}

func (s *step) answerHistory(r llm.Message) string {
	name := display(s.devs[0].Name)
	noun := propertyNoun(s.c.property)
	if r.IsError {
		return "I couldn't get the " + noun + " history of " + name + ": " + reason(r) + "."
	}
	pts := parsePoints(r.Text)
	if len(pts) == 0 {
		return capitalised(name) + " has no " + noun + " readings for " + s.c.period + "."
	}
	lo, hi, sum := pts[0].V, pts[0].V, 0.0
	for _, p := range pts {
		lo, hi, sum = min(lo, p.V), max(hi, p.V), sum+p.V
	}
	unit := units[s.c.property]
	return fmt.Sprintf("%s %s over %s: between %s and %s%s (average %s%s), latest %s%s.",
		capitalised(name), noun, s.c.period, formatNumber(lo), formatNumber(hi), unit,
		formatNumber(sum/float64(len(pts))), unit, formatNumber(pts[len(pts)-1].V), unit)
}

// whatsOn lists the devices whose state is on.
func whatsOn(ds []*DeviceInfo, state func(*DeviceInfo) map[string]any) string {
	var on []string
	unknown := 0
	for _, d := range ds {
		st := state(d)
		s, ok := st["state"].(string)
		if !ok {
			unknown++
			continue
		}
		if strings.EqualFold(s, "ON") {
			n := display(d.Name)
			if b, ok := num(st["brightness"]); ok {
				n += " (" + pct(b) + ")"
			}
			on = append(on, n)
		}
	}
	var out string
	switch len(on) {
	case 0:
		out = "Nothing is on."
	case 1:
		out = "Only " + on[0] + " is on."
	default:
		out = "On right now: " + joinNames(on) + "."
	}
	if unknown > 0 {
		out += fmt.Sprintf(" I don't know the state of %d more.", unknown)
	}
	return out
}

// listDevices describes the devices, grouped by room when rooms are known;
// words filter them (a room or a kind).
func listDevices(devs []DeviceInfo, ws []string) string {
	var sel []*DeviceInfo
	for i := range devs {
		if len(ws) > 0 {
			if _, ok := fit(&devs[i], ws); !ok {
				continue
			}
		}
		sel = append(sel, &devs[i])
	}
	if len(sel) == 0 {
		if len(ws) > 0 {
			return "I don't know any devices matching \"" + strings.Join(ws, " ") + "\"."
		}
		return "I don't know any devices yet. " + pairText
	}
	byRoom := map[string][]string{}
	for _, d := range sel {
		byRoom[d.Room] = append(byRoom[d.Room], display(d.Name)+" ("+d.kind()+")")
	}
	if len(byRoom) == 1 {
		for room, names := range byRoom {
			in := ""
			if room != "" {
				in = " in the " + room
			}
			return fmt.Sprintf("I know %d device%s%s: %s.", len(sel), plural(len(sel)), in, joinNames(names))
		}
	}
	var parts []string
	for _, room := range slices.Sorted(maps.Keys(byRoom)) {
		label := room
		if label == "" {
			label = "no room"
		}
		parts = append(parts, label+": "+joinNames(byRoom[room]))
	}
	return fmt.Sprintf("I know %d devices. %s.", len(sel), strings.Join(parts, "; "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// stateOf reads a device state from a tool result: a JSON object, or one
// with a "state" object inside.
func stateOf(text string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil {
		return map[string]any{}
	}
	if inner, ok := m["state"].(map[string]any); ok {
		return inner
	}
	return m
}

func describeState(st map[string]any) string {
	if len(st) == 0 {
		return "no state reported yet"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(st)) {
		switch st[k].(type) {
		case map[string]any, []any, nil:
			continue
		}
		if k == "brightness" {
			if b, ok := num(st[k]); ok {
				parts = append(parts, "brightness "+pct(b))
				continue
			}
		}
		parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+formatValue(k, st[k]))
	}
	return strings.Join(parts, ", ")
}

var units = map[string]string{
	"temperature": " °C", "humidity": "%", "power": " W", "energy": " kWh", "battery": "%",
	"illuminance": " lx", "pressure": " hPa", "voltage": " V", "current": " A",
}

func propertyNoun(p string) string {
	switch p {
	case "contact":
		return "open/closed state"
	case "lock_state":
		return "lock state"
	case "state":
		return "on/off state"
	}
	return strings.ReplaceAll(p, "_", " ")
}

func formatValue(prop string, v any) string {
	if f, ok := num(v); ok {
		return formatNumber(f) + units[prop]
	}
	switch v := v.(type) {
	case string:
		return strings.ToLower(v)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func formatNumber(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

func num(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case int:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// parsePoints reads a get_history result: an array of points, or an object
// with "points"/"series"/"history"/"values", each point {t|time|ts, v|value}
// or [time, value].
func parsePoints(text string) []llm.Point {
	var top any
	if json.Unmarshal([]byte(text), &top) != nil {
		return nil
	}
	var list []any
	switch v := top.(type) {
	case []any:
		list = v
	case map[string]any:
		for _, k := range []string{"points", "series", "history", "values", "samples"} {
			if l, ok := v[k].([]any); ok {
				list = l
				break
			}
		}
	}
	var pts []llm.Point
	for _, e := range list {
		var tv, vv any
		switch e := e.(type) {
		case map[string]any:
			for _, k := range []string{"t", "time", "ts", "timestamp", "at"} {
				if x, ok := e[k]; ok {
					tv = x
					break
				}
			}
			for _, k := range []string{"v", "value", "val"} {
				if x, ok := e[k]; ok {
					vv = x
					break
				}
			}
		case []any:
			if len(e) == 2 {
				tv, vv = e[0], e[1]
			}
		}
		f, ok := num(vv)
		if !ok {
			continue
		}
		p := llm.Point{V: f}
		if s, ok := tv.(string); ok {
			p.T, _ = time.Parse(time.RFC3339, s)
		}
		pts = append(pts, p)
	}
	return pts
}

// roomNames reads a list_rooms result: strings or objects with a name, in
// an array or under "rooms".
func roomNames(text string) []string {
	var top any
	if json.Unmarshal([]byte(text), &top) != nil {
		return nil
	}
	list, _ := top.([]any)
	if m, ok := top.(map[string]any); ok {
		list, _ = m["rooms"].([]any)
	}
	var out []string
	for _, e := range list {
		switch e := e.(type) {
		case string:
			out = append(out, e)
		case map[string]any:
			if n := firstString(e, "name", "room", "id"); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}
