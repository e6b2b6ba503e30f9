package rules

import (
	"math"
	"slices"
	"strings"
	"time"
)

// kind is what a clause asks for.
type kind int

const (
	kindUnknown     kind = iota
	kindSet              // change devices: set_device
	kindQuery            // read a property: get_device
	kindHistory          // a property over time: get_history
	kindWhatsOn          // which devices are on
	kindListDevices      // list devices
	kindListRooms        // list rooms
	kindPair             // explain how to pair
	kindPermitJoin       // open the network: permit_join
	kindHelp             // greetings, "what can you do"
	kindThanks           // "thanks"
)

// polite openers that make a command look like a question.
var polite = set("can", "could", "would", "will", "please", "pls", "kindly")

// clause is one request of a user message, as the grammar understood it.
type clause struct {
	kind     kind
	values   map[string]any // for kindSet: absolute values to send
	rel      int            // kindSet: +1 brighter, -1 dimmer (no number given)
	relTemp  int            // kindSet: +1 warmer, -1 cooler
	white    bool           // kindSet: plain "white"
	property string         // kindQuery, kindHistory
	words    []string       // target words (device, room, type)
	groups   [][]string     // words split at "and"/","/"or" when they name several devices
	soft     []string       // words of words that are also grammar words (dropped if nothing fits with them)
	all      bool           // all/every/plural: every matching device
	pronoun  bool           // it/them: the devices of the previous turn
	from, to time.Time      // kindHistory
	period   string         // kindHistory: "today", "the last 24 hours", ...
	duration int            // kindPermitJoin, seconds
	text     string         // the clause as said
}

var (
	setVerbs = set("turn", "switch", "put", "set", "make", "dim", "brighten", "raise", "lower", "increase",
		"decrease", "change", "toggle", "flip", "shut", "kill", "activate", "deactivate", "enable", "disable",
		"lock", "unlock", "start", "stop", "adjust", "bring")
	questionStarters = set("what", "whats", "which", "how", "hows", "is", "isnt", "are", "arent", "was", "were",
		"tell", "show", "check", "give", "any", "anything", "does", "do", "did", "has", "have", "can", "could",
		"list", "whos", "where", "wheres", "get")
	fillers = set("the", "a", "an", "my", "our", "your", "please", "pls", "plz", "can", "could", "would", "will",
		"you", "u", "me", "i", "to", "in", "of", "at", "for", "is", "are", "was", "were", "be", "been", "it",
		"what", "whats", "which", "how", "hows", "much", "many", "tell", "show", "check", "get", "give", "now",
		"right", "and", "with", "some", "bit", "little", "lot", "too", "very", "just", "also", "then", "there",
		"here", "again", "currently", "current", "value", "level", "status", "hey", "hi", "hello", "zhub",
		"thanks", "thank", "kindly", "quickly", "maybe", "really", "actually", "ok", "okay", "so", "well",
		"if", "whether", "does", "do", "did", "has", "have", "had", "its", "set", "turn", "switch", "put",
		"make", "change", "adjust", "bring", "all", "every", "everything", "each", "both", "any", "anything",
		"that", "this", "these", "those", "them", "they", "by", "from", "into", "inside", "same", "reading",
		"readings", "read", "reads", "measure", "measured", "say", "says", "going", "please,", "know", "should",
		"up", "down", "way", "percent", "pct", "per", "cent", "%", "degrees", "degree", "celsius", "c", "watts",
		"w", "am", "isnt", "arent", "currently", "state", "like", "about", "around", "exactly", "time", "times",
		"mode", "over", "during", "since", "last", "past", "today", "yesterday", "tonight", "night", "week",
		"day", "days", "hour", "hours", "minute", "minutes", "morning", "evening", "afternoon", "until", "till",
		"ago", "between", "chart", "graph", "history", "trend", "plot", "was", "been", "use", "used", "using",
		"whole", "entire", "room's", "where", "wheres", "cold", "hot", "warm", "bright", "dark", "light's",
		"switched", "turned", "thing", "things", "want", "need", "like", "control")
	pronouns    = set("it", "that", "them", "those", "this", "these", "they")
	allWords    = set("all", "every", "everything", "each", "both", "everywhere", "whole")
	pluralTypes = set("lights", "lamps", "bulbs", "plugs", "sockets", "outlets", "sensors", "doors", "windows",
		"blinds", "devices", "switches", "locks", "fans", "curtains", "shades")
	historyWords = set("was", "were", "been", "history", "chart", "graph", "trend", "plot", "yesterday", "over",
		"during", "since", "ago", "past")
)

// typeSynonyms maps a device kind to the words that name it.
var typeSynonyms = map[string][]string{
	"light":   {"light", "lights", "lamp", "lamps", "bulb", "bulbs", "lighting"},
	"switch":  {"switch", "switches", "relay"},
	"plug":    {"plug", "plugs", "socket", "sockets", "outlet", "outlets"},
	"sensor":  {"sensor", "sensors", "thermometer", "thermostat"},
	"contact": {"door", "doors", "window", "windows", "contact", "sensor", "sensors"},
	"lock":    {"lock", "locks", "door", "doors"},
	"cover":   {"blind", "blinds", "shade", "shades", "curtain", "curtains", "cover", "shutter", "shutters"},
	"remote":  {"remote", "remotes", "button", "buttons"},
	"fan":     {"fan", "fans"},
	"device":  {},
}

// typeWords is every word in typeSynonyms, plus "device(s)".
var typeWords = func() map[string]bool {
	m := set("device", "devices")
	for _, ws := range typeSynonyms {
		for _, w := range ws {
			m[w] = true
		}
	}
	return m
}()

// properties maps a word to the property a question is about.
var properties = map[string]string{
	"temperature": "temperature", "temperatures": "temperature", "temp": "temperature", "degrees": "temperature",
	"warm": "temperature", "hot": "temperature", "cold": "temperature", "cool": "temperature", "warmth": "temperature",
	"humidity": "humidity", "humid": "humidity", "moisture": "humidity",
	"power": "power", "watts": "power", "wattage": "power", "consumption": "power", "consuming": "power",
	"drawing": "power", "draw": "power", "using": "power", "load": "power",
	"energy": "energy", "kwh": "energy",
	"battery": "battery", "batteries": "battery",
	"brightness": "brightness", "bright": "brightness", "dim": "brightness",
	"illuminance": "illuminance", "lux": "illuminance", "dark": "illuminance",
	"pressure": "pressure",
	"open":     "contact", "closed": "contact", "shut": "contact", "opened": "contact",
	"locked": "lock_state", "unlocked": "lock_state",
	"on": "state", "off": "state",
	"occupancy": "occupancy", "occupied": "occupancy", "motion": "occupancy", "movement": "occupancy",
}

// Colour temperatures in mireds (Zigbee2MQTT's color_temp presets).
const (
	miredCoolest = 153
	miredCool    = 250
	miredNeutral = 370
	miredWarm    = 454
	miredWarmest = 500
	miredStep    = 60
)

// colours are the named colours, as hex.
var colours = map[string]string{
	"red": "#FF0000", "green": "#00FF00", "blue": "#0000FF", "yellow": "#FFFF00", "orange": "#FFA500",
	"purple": "#800080", "pink": "#FFC0CB", "violet": "#EE82EE", "cyan": "#00FFFF", "magenta": "#FF00FF",
	"turquoise": "#40E0D0", "lime": "#BFFF00", "teal": "#008080", "lavender": "#E6E6FA", "amber": "#FFBF00",
	"gold": "#FFD700", "indigo": "#4B0082",
}

// grammarWords is the vocabulary typos are corrected to.
var grammarWords = func() []string {
	ws := []string{"turn", "switch", "toggle", "dim", "dimmer", "brighten", "brighter", "darker", "lower",
		"raise", "increase", "decrease", "change", "please", "light", "lights", "lamp", "lamps", "plug", "socket",
		"sensor", "door", "window", "temperature", "humidity", "power", "energy", "battery", "brightness",
		"colour", "color", "warm", "warmer", "cool", "cooler", "white", "list", "devices", "device", "rooms",
		"everything", "what", "which", "open", "closed", "locked", "unlock", "lock", "history", "today",
		"yesterday", "hours", "minutes", "percent", "kitchen", "bedroom", "living", "bathroom", "hallway",
		"garden", "office", "garage", "front", "back", "ceiling", "pair", "pairing", "joining", "allow",
		"permit", "neutral", "daylight", "maximum", "minimum", "half", "full", "consumption", "humid",
		"switched", "turned", "outlet", "bulb", "blinds", "thermometer", "room"}
	for c := range colours {
		ws = append(ws, c)
	}
	slices.Sort(ws)
	return ws
}()

var grammarSet = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range grammarWords {
		m[w] = true
	}
	for _, s := range []map[string]bool{setVerbs, questionStarters, fillers, pronouns, allWords, pluralTypes, historyWords, typeWords} {
		for w := range s {
			m[w] = true
		}
	}
	for w := range properties {
		m[w] = true
	}
	for w := range numberWords {
		m[w] = true
	}
	for _, w := range []string{"on", "off", "of", "full", "max", "min", "fully", "up", "down", "new", "add", "join",
		"connect", "include", "help", "hi", "hey", "hello", "seconds", "second", "secs", "mins", "flip", "kill",
		"shut", "stop", "start", "enable", "disable", "activate", "deactivate", "darker", "dimmer", "brighter",
		"warmer", "cooler", "neutral", "daylight", "white", "colour", "color", "half", "lowest", "highest"} {
		m[w] = true
	}
	return m
}()

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// correct fixes typos: a word that is neither a grammar word nor a device
// word, and is within tolerance of a grammar word, becomes that word.
func correct(toks []string, deviceWords map[string]bool) []string {
	out := make([]string, len(toks))
	for i, w := range toks {
		out[i] = w
		if grammarSet[w] || deviceWords[w] || len(w) < 4 || isDigits(w) {
			continue
		}
		lim := tolerance(len(w))
		best, bestD := "", lim+1
		for _, g := range grammarWords {
			if d := distance(w, g, lim); d < bestD {
				best, bestD = g, d
			}
		}
		if best != "" {
			out[i] = best
		}
	}
	return out
}

// clauseStarters begin a new clause after "and"/"then"/",".
var clauseStarters = func() map[string]bool {
	m := map[string]bool{}
	for w := range setVerbs {
		m[w] = true
	}
	for w := range questionStarters {
		m[w] = true
	}
	for _, w := range []string{"dim", "brighten", "toggle", "lock", "unlock", "pair", "list", "whats"} {
		m[w] = true
	}
	delete(m, "any")
	delete(m, "anything")
	return m
}()

// parse turns a user message into clauses. deviceWords are the words of
// the known device names (not corrected as typos); now anchors periods.
// A nil deviceWords skips typo correction (the devices are not known yet).
func parse(text string, deviceWords map[string]bool, now time.Time) []clause {
	toks := words(text)
	if deviceWords != nil {
		toks = correct(toks, deviceWords)
	}
	var out []clause
	start := 0
	for i := 0; i <= len(toks); i++ {
		end := i == len(toks)
		if !end {
			w := toks[i]
			sep := w == "," || ((w == "and" || w == "then" || w == "also") && i+1 < len(toks) && clauseStarters[toks[i+1]])
			if !sep {
				continue
			}
		}
		part := toks[start:i]
		start = i + 1
		for len(part) > 0 && (part[0] == "and" || part[0] == "then" || part[0] == "also") {
			part = part[1:]
		}
		if len(part) == 0 {
			continue
		}
		out = append(out, parseClause(part, deviceWords, now))
	}
	// A clause that only names devices continues the previous one:
	// "turn off the kitchen light, the hall light" .
	for i := 1; i < len(out); i++ {
		if out[i].kind == kindUnknown && len(out[i].words) > 0 && out[i-1].kind == kindSet {
			c := out[i-1]
			c.words, c.all, c.pronoun, c.text = out[i].words, out[i].all, out[i].pronoun, out[i].text
			out[i] = c
		}
	}
	return out
}

func has(toks []string, ws ...string) bool {
	for _, w := range ws {
		if slices.Contains(toks, w) {
			return true
		}
	}
	return false
}

// parseClause reads one clause.
func parseClause(toks []string, deviceWords map[string]bool, now time.Time) clause {
	c := clause{text: strings.Join(toks, " ")}
	c.words, c.soft, c.all, c.pronoun = targetWords(toks, deviceWords)
	c.groups = targetGroups(toks, deviceWords)

	switch {
	case has(toks, "permit", "allow", "open", "enable", "start") && has(toks, "join", "joining", "pairing") ||
		has(toks, "open") && has(toks, "network"):
		c.kind = kindPermitJoin
		c.duration = permitDuration(toks)
		return c
	case has(toks, "pair", "pairing") || has(toks, "add", "connect", "include", "join") && has(toks, "new", "device", "sensor", "light", "bulb", "plug"):
		c.kind = kindPair
		return c
	case has(toks, "thanks", "thank", "cheers") && len(c.words) == 0:
		c.kind = kindThanks
		return c
	case has(toks, "help") || len(c.words) == 0 && !c.all && !c.pronoun && onlyGreeting(toks):
		c.kind = kindHelp
		return c
	case has(toks, "rooms") || has(toks, "room") && has(toks, "which", "what", "list") && !has(toks, "in") && len(c.words) <= 1:
		c.kind = kindListRooms
		return c
	}

	question := questionStarters[toks[0]]
	if polite[toks[0]] && slices.ContainsFunc(toks, func(w string) bool { return setVerbs[w] }) {
		question = false // "could you switch on the light?"
	}
	if !question && has(toks, "status", "state") && !has(toks, "on", "off") {
		question = true // "status of the kitchen light"
	}
	if has(toks, "devices", "device") && (question || has(toks, "list", "show")) && !has(toks, "on", "off") {
		c.kind = kindListDevices
		c.words = without(c.words, "devices", "device")
		return c
	}
	if has(toks, "know", "control") && has(toks, "what", "which") && len(c.words) == 0 && !has(toks, "rooms") {
		c.kind = kindListDevices
		return c
	}

	if !question {
		setValues(&c, toks)
		if c.kind == kindSet {
			return c
		}
		// no value: a bare "bedroom temperature" is a question
		if prop := questionProperty(toks); prop != "" {
			question = true
		} else {
			return c // kindUnknown; words tell what was named
		}
	}

	c.property = questionProperty(toks)
	c.kind = kindQuery
	if c.property == "state" && (has(toks, "anything", "any", "which", "what", "whats", "everything") && !c.pronoun &&
		(len(c.words) == 0 || allTypeOrRoom(c.words) || c.all)) {
		c.kind = kindWhatsOn
		return c
	}
	if isHistory(toks) && c.property != "" && c.property != "state" && c.property != "contact" {
		c.kind = kindHistory
		c.from, c.to, c.period = period(toks, now)
	}
	return c
}

func onlyGreeting(toks []string) bool {
	for _, w := range toks {
		switch w {
		case "hi", "hey", "hello", "thanks", "thank", "you", "zhub", "there", "morning", "good", "what", "can",
			"do", "whats", "up", "how", "are", "ok", "okay", "please", ",":
		default:
			return false
		}
	}
	return true
}

// allTypeOrRoom reports whether words only name a kind of device (and maybe
// a room): "which lights are on in the kitchen".
func allTypeOrRoom(ws []string) bool {
	for _, w := range ws {
		if typeWords[w] {
			return true
		}
	}
	return false
}

func without(ws []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(ws), func(w string) bool { return slices.Contains(drop, w) })
}

// targetWords returns the words that name devices, whether the clause means
// all matching devices, and whether it refers back ("it").
func targetWords(toks []string, deviceWords map[string]bool) (ws, soft []string, all, pronoun bool) {
	for i, w := range toks {
		switch {
		case i == 0 && setVerbs[w]:
			// the verb, not a wall switch or a lock
		case w == "switch" && i+1 < len(toks) && (toks[i+1] == "on" || toks[i+1] == "off"):
		case deviceWords[w] && !coreWords[w] && !typeWords[w] && !pluralTypes[w] && !allWords[w] && !pronouns[w]:
			// a word of a device name that is also a grammar word ("reading lamp")
			ws = append(ws, w)
			if fillers[w] || setVerbs[w] || questionStarters[w] || properties[w] != "" || colours[w] != "" || historyWords[w] {
				soft = append(soft, w)
			}
		case allWords[w]:
			all = true
		case pronouns[w]:
			pronoun = true
		case pluralTypes[w]:
			all = true
			ws = append(ws, w)
		case typeWords[w]:
			ws = append(ws, w)
		case w == "," || w == "and" || w == "or":
		case fillers[w] || setVerbs[w] || questionStarters[w] || isNumber(w) || w == "%":
		case properties[w] != "" || colours[w] != "" || historyWords[w]:
		case w == "on" || w == "off" || w == "of" || w == "toggle" || w == "white" || w == "warmer" || w == "cooler" ||
			w == "neutral" || w == "daylight" || w == "colour" || w == "color" || w == "full" || w == "max" ||
			w == "maximum" || w == "min" || w == "minimum" || w == "half" || w == "fully" || w == "brighter" ||
			w == "darker" || w == "dimmer" || w == "lowest" || w == "highest" || w == "seconds" || w == "second" ||
			w == "secs" || w == "mins" || w == "new" || w == "flip" || w == "brightness":
		case w == "room" && i > 0 && i+1 < len(toks) && toks[i+1] == "temperature":
		default:
			ws = append(ws, w)
		}
	}
	return ws, soft, all, pronoun
}

// targetGroups splits the target words at "and", "or" and "," when more
// than one group names something: "the coffee plug and the kitchen light".
// A kind said only at the end applies to every group: "kitchen and hallway
// lights". It returns nil for a single group.
func targetGroups(toks []string, deviceWords map[string]bool) [][]string {
	var groups [][]string
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && toks[i] != "and" && toks[i] != "or" && toks[i] != "," {
			continue
		}
		ws, _, _, _ := targetWords(toks[start:i], deviceWords)
		if start > 0 && start < len(toks) && setVerbs[toks[start]] {
			return nil // a verb after "and": not a list of devices
		}
		if len(ws) > 0 {
			groups = append(groups, ws)
		}
		start = i + 1
	}
	if len(groups) < 2 {
		return nil
	}
	last := groups[len(groups)-1]
	var kindWord string
	for _, w := range last {
		if typeWords[w] {
			kindWord = w
		}
	}
	if kindWord != "" {
		for i := range groups[:len(groups)-1] {
			if !slices.ContainsFunc(groups[i], func(w string) bool { return typeWords[w] }) {
				groups[i] = append(groups[i], kindWord)
			}
		}
	}
	return groups
}

// coreWords are never part of a device name in a request.
var coreWords = set("the", "a", "an", "my", "our", "to", "in", "of", "on", "off", "is", "are", "and", "or", "it",
	"at", "for", "me", "i", "you", "please", "what", "whats", "which", "how", "turn", "set", "switch", "make",
	",", "%", "all", "every")

func isNumber(w string) bool {
	_, ok := number(w)
	return ok
}

// setValues fills the values of a command clause; c.kind becomes kindSet
// when it found one.
func setValues(c *clause, toks []string) {
	v := map[string]any{}
	verbOff := has(toks, "kill", "deactivate", "disable", "stop") || has(toks, "shut") && !has(toks, "on")
	verbOn := has(toks, "activate", "enable", "start")
	ofIsOff := false // "turn of the light"
	for i := 1; i < len(toks); i++ {
		if toks[i] == "of" && (toks[i-1] == "turn" || toks[i-1] == "switch" || toks[i-1] == "light" || toks[i-1] == "lights") {
			ofIsOff = true
		}
	}
	switch {
	case has(toks, "toggle", "flip"):
		v["state"] = "TOGGLE"
	case has(toks, "off"):
		v["state"] = "OFF"
	case has(toks, "on"):
		v["state"] = "ON"
	case ofIsOff:
		v["state"] = "OFF"
	case verbOff:
		v["state"] = "OFF"
	case verbOn:
		v["state"] = "ON"
	case has(toks, "unlock"):
		v["state"] = "UNLOCK"
	case has(toks, "lock"):
		v["state"] = "LOCK"
	}
	if pct, ok := percent(toks); ok {
		v["brightness"] = int(math.Round(pct * 254 / 100))
		if pct == 0 {
			v["state"] = "OFF"
			delete(v, "brightness")
		} else if v["state"] == "OFF" {
			delete(v, "state") // "off" came from a number word? keep the brightness
		}
	} else {
		switch {
		case has(toks, "dim", "dimmer", "darker", "lower", "decrease", "down", "reduce"):
			c.rel = -1
		case has(toks, "brighten", "brighter", "raise", "increase", "up") && !has(toks, "on", "off"):
			c.rel = +1
		}
	}
	switch {
	case has(toks, "warmer"):
		c.relTemp = +1
	case has(toks, "cooler"):
		c.relTemp = -1
	case has(toks, "warmest"):
		v["color_temp"] = miredWarmest
	case has(toks, "warm"):
		v["color_temp"] = miredWarm
	case has(toks, "cool", "cold") && (has(toks, "white") || has(toks, "set", "make", "turn", "change")):
		v["color_temp"] = miredCool
	case has(toks, "daylight", "coolest"):
		v["color_temp"] = miredCoolest
	case has(toks, "neutral"):
		v["color_temp"] = miredNeutral
	case has(toks, "white"):
		c.white = true
	}
	for _, w := range toks {
		if hex, ok := colours[w]; ok {
			v["color"] = map[string]any{"hex": hex}
			break
		}
	}
	if len(v) > 0 || c.rel != 0 || c.relTemp != 0 || c.white {
		c.kind = kindSet
		c.values = v
	}
}

// percent finds a brightness: "30%", "30 percent", "to 30", "half", "full".
func percent(toks []string) (float64, bool) {
	for i, w := range toks {
		n, ok := number(w)
		if !ok {
			continue
		}
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		prev := ""
		if i > 0 {
			prev = toks[i-1]
		}
		switch {
		case next == "%" || next == "percent" || next == "pct" || next == "per":
		case (prev == "to" || prev == "at" || prev == "brightness") && n <= 100:
		case len(toks) <= 4 && n <= 100 && i == len(toks)-1: // "kitchen light 40"
		default:
			continue
		}
		return max(0, min(100, n)), true
	}
	switch {
	case has(toks, "half"):
		return 50, true
	case has(toks, "full", "max", "maximum", "fully", "highest") && !has(toks, "off"):
		return 100, true
	case has(toks, "min", "minimum", "lowest"):
		return 1, true
	}
	return 0, false
}

// questionProperty finds what a question asks about ("" if nothing).
func questionProperty(toks []string) string {
	// explicit property nouns win over adjectives and on/off
	for _, w := range []string{"temperature", "temperatures", "temp", "humidity", "power", "energy", "battery",
		"brightness", "illuminance", "pressure", "occupancy", "consumption", "wattage", "watts", "kwh", "lux",
		"motion", "humid", "moisture", "batteries", "warmth", "degrees", "movement", "occupied"} {
		if slices.Contains(toks, w) {
			return properties[w]
		}
	}
	for _, w := range toks {
		if p := properties[w]; p != "" {
			return p
		}
	}
	return ""
}

func isHistory(toks []string) bool {
	for i, w := range toks {
		if historyWords[w] {
			return true
		}
		if (w == "last" || w == "today") && i > 0 {
			return true
		}
	}
	return false
}

// period reads the time range of a history question (default: the last
// 24 hours).
func period(toks []string, now time.Time) (from, to time.Time, label string) {
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	for i, w := range toks {
		if (w == "last" || w == "past") && i+1 < len(toks) {
			n, unitAt := 1.0, i+1
			if v, ok := number(toks[i+1]); ok && i+2 < len(toks) {
				n, unitAt = v, i+2
			}
			unit := toks[unitAt]
			var d time.Duration
			switch unit {
			case "hour", "hours":
				d = time.Hour
			case "day", "days":
				d = 24 * time.Hour
			case "week", "weeks":
				d = 7 * 24 * time.Hour
			case "minute", "minutes", "mins":
				d = time.Minute
			case "night":
				return midnight.Add(-6 * time.Hour), midnight.Add(8 * time.Hour), "last night"
			}
			if d > 0 && n > 0 && n < 1000 {
				label := "the last " + unit
				if n != 1 {
					label = "the last " + strings.TrimSuffix(formatNumber(n), ".0") + " " + strings.TrimSuffix(unit, "s") + "s"
				}
				return now.Add(-time.Duration(n * float64(d))), now, label
			}
		}
	}
	switch {
	case has(toks, "yesterday"):
		return midnight.Add(-24 * time.Hour), midnight, "yesterday"
	case has(toks, "today"):
		return midnight, now, "today"
	case has(toks, "night", "tonight"):
		return midnight.Add(-6 * time.Hour), midnight.Add(8 * time.Hour), "last night"
	case has(toks, "week"):
		return now.Add(-7 * 24 * time.Hour), now, "the last week"
	}
	return now.Add(-24 * time.Hour), now, "the last 24 hours"
}

// permitDuration reads "for 2 minutes" / "for 90 seconds" (default 120s,
// at most 254s as Zigbee allows).
func permitDuration(toks []string) int {
	for i, w := range toks {
		n, ok := number(w)
		if !ok || i+1 >= len(toks) {
			continue
		}
		switch toks[i+1] {
		case "minute", "minutes", "mins", "min":
			return min(254, max(1, int(n*60)))
		case "second", "seconds", "secs", "s":
			return min(254, max(1, int(n)))
		}
	}
	return 120
}
