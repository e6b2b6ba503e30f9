package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// The schema is derived from Config's struct tags once, so that a new field automatically
// gets decoding, type checks, an environment override, rendering and logging.

// kind is how a leaf is decoded and rendered.
type kind int

const (
	kindString   kind = iota
	kindInt           // Go int; TOML integer
	kindBool          // TOML boolean
	kindStrings       // []string; TOML array of strings, comma-separated in the environment
	kindDuration      // time.Duration; TOML string such as "60s"
	kindText          // encoding.TextUnmarshaler; TOML string (or integer, see intOK)
)

// leaf is one configuration key.
type leaf struct {
	path   []string // TOML key path, e.g. ["zigbee", "channel"]
	key    string   // dotted path, e.g. "zigbee.channel"
	env    string   // environment override, e.g. "ZHUB_ZIGBEE_CHANNEL"
	index  []int    // reflect field index path from Config
	typ    reflect.Type
	kind   kind
	intOK  bool   // kindText that also accepts a TOML integer (pan_id = 0x1a62)
	secret string // value of the `secret` tag
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	unmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
	panIDType     = reflect.TypeFor[PANID]()
	configType    = reflect.TypeFor[Config]()

	schema   = buildSchema()
	sections = sectionNames()
)

// envPrefix starts every environment override.
const envPrefix = "ZHUB_"

func buildSchema() []leaf {
	var out []leaf
	var walk func(t reflect.Type, path []string, index []int)
	walk = func(t reflect.Type, path []string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			p := append(path[:len(path):len(path)], name)
			idx := append(index[:len(index):len(index)], i)
			if isSection(f.Type) {
				walk(f.Type, p, idx)
				continue
			}
			l := leaf{
				path:   p,
				key:    strings.Join(p, "."),
				env:    envPrefix + strings.ToUpper(strings.Join(p, "_")),
				index:  idx,
				typ:    f.Type,
				kind:   kindOf(f.Type),
				intOK:  f.Type == panIDType,
				secret: f.Tag.Get("secret"),
			}
			out = append(out, l)
		}
	}
	walk(configType, nil, nil)
	return out
}

func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(unmarshalType)
}

func kindOf(t reflect.Type) kind {
	switch {
	case t == durationType:
		return kindDuration
	case reflect.PointerTo(t).Implements(unmarshalType):
		return kindText
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Int:
		return kindInt
	case reflect.Bool:
		return kindBool
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return kindStrings
		}
	}
	// A programming error in Config, caught by every test run.
	panic(fmt.Sprintf("config: unsupported field type %s", t))
}

func sectionNames() []string {
	var out []string
	for i := range configType.NumField() {
		f := configType.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if f.IsExported() && isSection(f.Type) {
			out = append(out, name)
		}
	}
	return out
}

// leafByKey finds a leaf by its dotted key.
func leafByKey(key string) (leaf, bool) {
	for _, l := range schema {
		if l.key == key {
			return l, true
		}
	}
	return leaf{}, false
}

// field returns the settable field of l in c.
func (l leaf) field(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(l.index)
}

// want describes the TOML type a leaf expects, for "wrong type" messages.
func (l leaf) want() string {
	switch l.kind {
	case kindInt:
		return "an integer"
	case kindBool:
		return "a boolean (true or false, without quotes)"
	case kindStrings:
		return `a list of strings, e.g. ["a", "b"]`
	case kindDuration:
		return `a duration string such as "60s" or "1m30s"`
	case kindText:
		if l.intOK {
			return "a string or an integer"
		}
	}
	return "a string"
}

// setString sets l's field in c from an environment variable's text.
func (l leaf) setString(c *Config, s string) error {
	v := l.field(c)
	switch l.kind {
	case kindString:
		v.SetString(s)
	case kindInt:
		n, err := parseInt(strings.TrimSpace(s))
		if err != nil {
			return problemf(ErrInvalid, "%q is not an integer", s)
		}
		v.SetInt(n)
	case kindBool:
		b, err := parseBool(strings.TrimSpace(s))
		if err != nil {
			return problemf(ErrInvalid, "%q is not a boolean (allowed: true, false, 1, 0)", s)
		}
		v.SetBool(b)
	case kindStrings:
		var list []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	case kindDuration:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case kindText:
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	return nil
}
