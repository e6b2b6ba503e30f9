package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

const hidden = "<hidden>"

// Redacted renders the effective configuration as TOML for `zhub config check`. The
// configuration holds only references to secrets (variable names, file paths); for each one
// a comment says whether it resolves, e.g.
//
//	password_env = "ZHUB_MQTT_PASSWORD" # set (value hidden)
//
// Secret values are never printed, nor is a password embedded in a URL, nor a reference
// that is malformed (it may be the secret itself). Values set from the environment are
// marked with the variable's name. The output parses back to the same configuration.
func (c Config) Redacted() string {
	var b strings.Builder
	b.WriteString("# zhub effective configuration; secrets are shown as references only\n")
	if c.meta != nil {
		if src := c.meta.source; src.FromFile {
			fmt.Fprintf(&b, "# file: %s (found via %s), then ZHUB_* environment overrides\n", oneLine(src.Path), src.Via)
		} else {
			b.WriteString("# file: none (built-in defaults), then ZHUB_* environment overrides\n")
		}
	}
	section := ""
	for _, l := range schema {
		if s := sectionOf(l); s != section {
			section = s
			fmt.Fprintf(&b, "\n[%s]\n", section)
		}
		value, notes := c.render(l)
		fmt.Fprintf(&b, "%s = %s", l.path[len(l.path)-1], value)
		if len(notes) > 0 {
			b.WriteString(" # ")
			b.WriteString(oneLine(strings.Join(notes, "; ")))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// sectionOf returns the table a leaf lives in, "" for top-level keys. Top-level keys come
// first in Config, as TOML requires.
func sectionOf(l leaf) string { return strings.Join(l.path[:len(l.path)-1], ".") }

// render returns l's value as TOML and the comments that go with it.
func (c Config) render(l leaf) (string, []string) {
	v := reflect.ValueOf(&c).Elem().FieldByIndex(l.index)
	var notes []string
	if o := c.origin(l.key); o.env != "" {
		notes = append(notes, "from env "+o.env)
	}
	if l.key == "data_dir" && c.meta != nil && c.meta.dataDir != "" && c.origin(l.key) == (origin{}) {
		notes = append(notes, "chosen from "+c.meta.dataDir)
	}
	switch l.kind {
	case kindInt:
		return strconv.FormatInt(v.Int(), 10), notes
	case kindBool:
		return strconv.FormatBool(v.Bool()), notes
	case kindDuration:
		return tomlQuote(time.Duration(v.Int()).String()), notes
	case kindStrings:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = tomlQuote(v.Index(i).String())
		}
		return "[" + strings.Join(items, ", ") + "]", notes
	}
	s, note := c.safeString(l, v)
	if note != "" {
		notes = append(notes, note)
	}
	return tomlQuote(s), notes
}

// safeString returns the printable form of a string or text leaf and, for secret
// references, a note saying whether the secret resolves. It never returns a secret.
func (c Config) safeString(l leaf, v reflect.Value) (string, string) {
	var s string
	if l.kind == kindText {
		b, _ := v.Interface().(interface{ MarshalText() ([]byte, error) }).MarshalText()
		s = string(b)
	} else {
		s = v.String()
	}
	switch l.secret {
	case "env":
		if s == "" {
			return s, ""
		}
		if !validEnvName(s) {
			return hidden, "not an environment variable name; value hidden"
		}
		if c.getenv(s) == "" {
			return s, "NOT SET"
		}
		return s, "set (value hidden)"
	case "url":
		return redactURL(s)
	case "ref":
		ref := SecretRef(s)
		if ref.check() != nil {
			return hidden, "not a valid reference; value hidden"
		}
		if ref.Generate() {
			return s, "generated when the network is formed"
		}
		raw, err := c.resolveRef(l.key, ref)
		if err == nil && l.key == "zigbee.network_key" {
			_, err = parseKeyHex(raw)
		}
		if err == nil {
			note := "set (value hidden)"
			if path, ok := ref.FilePath(); ok {
				note = "file readable (value hidden)"
				if fi, serr := os.Stat(path); serr == nil && fi.Mode().Perm()&0o004 != 0 {
					note += "; WARNING: readable by every user, chmod 600 it"
				}
			}
			return s, note
		}
		msg := err.Error()
		if e, ok := errors.AsType[*Error](err); ok {
			msg = e.Msg
		}
		if errors.Is(err, ErrSecretNotSet) {
			if _, ok := ref.FilePath(); ok {
				return s, "NOT READABLE: " + msg
			}
			return s, "NOT SET"
		}
		return s, "INVALID: " + msg
	}
	return s, ""
}

// redactURL hides a password embedded in a URL.
func redactURL(s string) (string, string) {
	if !strings.Contains(s, "@") {
		return s, ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return hidden, "not a URL; value hidden"
	}
	if _, ok := u.User.Password(); ok {
		return u.Redacted(), "password hidden; use password_env instead"
	}
	return s, ""
}

// tomlQuote renders s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// LogValue implements slog.LogValuer: logging a Config shows every key by section, with
// secret references as names only (malformed ones hidden) and URL passwords masked. It
// never resolves a secret.
func (c Config) LogValue() slog.Value {
	var top []slog.Attr
	groups := map[string][]slog.Attr{}
	var order []string
	for _, l := range schema {
		v := reflect.ValueOf(&c).Elem().FieldByIndex(l.index)
		name := l.path[len(l.path)-1]
		var a slog.Attr
		switch l.kind {
		case kindInt:
			a = slog.Int(name, int(v.Int()))
		case kindBool:
			a = slog.Bool(name, v.Bool())
		case kindDuration:
			a = slog.Duration(name, time.Duration(v.Int()))
		case kindStrings:
			a = slog.Any(name, append([]string(nil), v.Interface().([]string)...))
		default:
			s, _ := c.logString(l, v)
			a = slog.String(name, s)
		}
		sec := sectionOf(l)
		if sec == "" {
			top = append(top, a)
			continue
		}
		if _, ok := groups[sec]; !ok {
			order = append(order, sec)
		}
		groups[sec] = append(groups[sec], a)
	}
	for _, sec := range order {
		top = append(top, slog.Attr{Key: sec, Value: slog.GroupValue(groups[sec]...)})
	}
	return slog.GroupValue(top...)
}

// logString is safeString without resolving anything.
func (c Config) logString(l leaf, v reflect.Value) (string, string) {
	if l.kind == kindText {
		b, _ := v.Interface().(interface{ MarshalText() ([]byte, error) }).MarshalText()
		if l.secret == "ref" && SecretRef(b).check() != nil {
			return hidden, ""
		}
		return string(b), ""
	}
	s := v.String()
	switch l.secret {
	case "env":
		if s != "" && !validEnvName(s) {
			return hidden, ""
		}
	case "url":
		return redactURL(s)
	}
	return s, ""
}
