package mqttbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// TopicKind says what a message on the bridge's topics asks for.
type TopicKind int

// Kinds of topics the bridge serves.
const (
	TopicNone    TopicKind = iota // not ours (or one we published ourselves)
	TopicSet                      // <base>/<name>[/<endpoint>]/set[/<property>]
	TopicGet                      // <base>/<name>[/<endpoint>]/get[/<property>]
	TopicRequest                  // <base>/bridge/request/<name>
)

func (k TopicKind) String() string {
	switch k {
	case TopicSet:
		return "set"
	case TopicGet:
		return "get"
	case TopicRequest:
		return "request"
	}
	return "none"
}

// Topic is a parsed command or request topic.
type Topic struct {
	Kind TopicKind
	// Target is everything between the base topic and the /set or /get
	// keyword: a friendly name (which may contain '/'), possibly followed
	// by "/<endpoint>". The bridge resolves it against the device names.
	Target string
	// Property is the part after /set/ or /get/ ("" when the payload names
	// the properties).
	Property string
	// Request is the request name after bridge/request/ (e.g.
	// "device/rename"), for TopicRequest.
	Request string
}

// ParseTopic parses a topic under base. Like Zigbee2MQTT
// (lib/extension/publish.ts, ^<base>/(?!bridge)(.+?)/(get|set)(?:/(.+))?$),
// it splits at the first "/set" or "/get" level, so friendly names may
// contain '/', and never treats a name that starts with "bridge" as a
// device. It returns TopicNone for anything else.
func ParseTopic(base, topic string) Topic {
	rest, ok := strings.CutPrefix(topic, base)
	if !ok || base == "" {
		return Topic{}
	}
	rest, ok = strings.CutPrefix(rest, "/")
	if !ok {
		return Topic{}
	}
	if strings.HasPrefix(rest, "bridge") {
		if name, ok := strings.CutPrefix(rest, "bridge/request/"); ok && name != "" {
			return Topic{Kind: TopicRequest, Request: name}
		}
		return Topic{}
	}
	// Find the first level equal to "set" or "get", after at least one
	// character of target.
	for i := 1; i < len(rest); i++ {
		if rest[i] != '/' {
			continue
		}
		level := rest[i+1:]
		var kind TopicKind
		switch {
		case level == "set" || strings.HasPrefix(level, "set/"):
			kind = TopicSet
		case level == "get" || strings.HasPrefix(level, "get/"):
			kind = TopicGet
		default:
			continue
		}
		t := Topic{Kind: kind, Target: rest[:i]}
		if len(level) > 3 {
			t.Property = level[4:]
			if t.Property == "" {
				continue // "<x>/set/" has no property: not a valid form
			}
		}
		return t
	}
	return Topic{}
}

// stateWords are the bare /set payloads Zigbee2MQTT accepts as
// {"state": X}: Home Assistant's default command payloads for switches,
// covers and locks (interfaces.md §A.3).
var stateWords = []string{"on", "off", "toggle", "open", "close", "stop", "lock", "unlock"}

// ParseSetPayload turns a /set payload into properties. With a property
// from the topic the payload is that property's value: JSON when it parses,
// else the bare text. Without one the payload must be a JSON object, or
// one of the bare state words (on, off, toggle, open, close, stop, lock,
// unlock; any case), which becomes {"state": WORD} in upper case.
func ParseSetPayload(property string, payload []byte) (map[string]any, error) {
	if property != "" {
		return map[string]any{property: bareValue(payload)}, nil
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		m, err := decodeObject(trimmed)
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%w: empty object: name at least one property", ErrInvalidPayload)
		}
		return m, nil
	}
	word := string(trimmed)
	for _, w := range stateWords {
		if strings.EqualFold(word, w) {
			return map[string]any{"state": strings.ToUpper(w)}, nil
		}
	}
	return nil, fmt.Errorf("%w: want a JSON object such as {\"state\":\"ON\"} or one of %s, got %s",
		ErrInvalidPayload, strings.Join(stateWords, ", "), quote(payload))
}

// ParseGetPayload returns the properties a /get asks to read: the topic's
// property, or the keys of a JSON object payload ({"state":"",
// "brightness":""}). An empty payload without a property reads "state",
// as Zigbee2MQTT does for a bare /get.
func ParseGetPayload(property string, payload []byte) ([]string, error) {
	if property != "" {
		return []string{property}, nil
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || string(trimmed) == `""` {
		return []string{"state"}, nil
	}
	m, err := decodeObject(trimmed)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: empty object: name the properties to read, e.g. {\"state\":\"\"}", ErrInvalidPayload)
	}
	props := make([]string, 0, len(m))
	for k := range m {
		props = append(props, k)
	}
	slices.Sort(props)
	return props, nil
}

// Request is a parsed bridge/request payload: a JSON object, or a bare
// value (a device id, a number) for the simple requests.
type Request struct {
	// Object is the payload when it is a JSON object; nil otherwise.
	Object map[string]any
	// Bare is the payload when it is not an object: the JSON value when it
	// parses (a string, a number), else the raw text.
	Bare any
	// Transaction is the object's "transaction" field, echoed verbatim in
	// the response; nil when absent.
	Transaction any
}

// ParseRequest parses a bridge/request payload. It never fails: what the
// payload should contain is the handler's business. Like Zigbee2MQTT it
// takes the payload as JSON when it parses and as text otherwise.
func ParseRequest(payload []byte) Request {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if m, err := decodeObject(trimmed); err == nil {
			return Request{Object: m, Transaction: m["transaction"]}
		}
	}
	return Request{Bare: bareValue(payload)}
}

// String returns a field of the object, or the bare value when it is a
// string and field is the request's "main" field (id for device requests).
func (r Request) String(field string, bareOK bool) (string, bool) {
	if r.Object != nil {
		s, ok := r.Object[field].(string)
		return s, ok
	}
	if bareOK {
		switch v := r.Bare.(type) {
		case string:
			s := strings.TrimSpace(v)
			return s, s != ""
		case json.Number:
			return v.String(), true
		}
	}
	return "", false
}

// Bool returns a boolean field of the object (false when absent or not a
// boolean).
func (r Request) Bool(field string) bool {
	b, _ := r.Object[field].(bool)
	return b
}

// bareValue decodes a payload as a JSON value when it is one, else returns
// it as a string.
func bareValue(payload []byte) any {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		if _, err := dec.Token(); err == io.EOF { // nothing after the value
			return normalizeNumbers(v)
		}
	}
	return string(payload)
}

// decodeObject decodes a JSON object, keeping numbers exact until they are
// converted (integers stay integers).
func decodeObject(b []byte) (map[string]any, error) {
	if m, ok := decodeFlatObject(b); ok {
		return m, nil
	}
	return decodeObjectJSON(b)
}

// decodeObjectJSON is decodeObject with encoding/json.
func decodeObjectJSON(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrInvalidPayload, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidPayload)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidPayload)
	}
	return normalizeNumbers(m).(map[string]any), nil
}

// normalizeNumbers turns json.Number values into int64 when they are
// integers and float64 otherwise, recursively.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	}
	return v
}

// quote renders a payload for an error message, shortened.
func quote(b []byte) string {
	const max = 64
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}

// ValidName reports why a friendly name cannot be a topic level sequence
// under the base topic, or nil when it can: empty, a leading or trailing
// '/', an empty level, an MQTT wildcard, or a reserved first level.
func ValidName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty friendly name", ErrInvalidTopic)
	case strings.ContainsAny(name, "+#\x00"):
		return fmt.Errorf("%w: friendly name %q contains an MQTT wildcard (+ or #)", ErrInvalidTopic, name)
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return fmt.Errorf("%w: friendly name %q has an empty topic level", ErrInvalidTopic, name)
	case name == "bridge" || strings.HasPrefix(name, "bridge/"):
		return fmt.Errorf("%w: friendly name %q: \"bridge\" is reserved", ErrInvalidTopic, name)
	}
	for _, level := range strings.Split(name, "/") {
		if level == "set" || level == "get" {
			return fmt.Errorf("%w: friendly name %q: %q cannot be a topic level of a name", ErrInvalidTopic, name, level)
		}
	}
	return nil
}
