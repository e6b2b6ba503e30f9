package config

import (
	"encoding"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

const (
	// DefaultSystemPath is the configuration file used when neither --config nor
	// $ZHUB_CONFIG names one and it exists.
	DefaultSystemPath = "/etc/zhub/config.toml"
	// EnvConfig names the configuration file when --config is not given.
	EnvConfig = "ZHUB_CONFIG"
)

// LoadOptions tells Load where to look.
type LoadOptions struct {
	Flag       string              // value of --config; "" when not given
	Getenv     func(string) string // nil means os.Getenv
	SystemPath string              // "" means DefaultSystemPath
}

// Source says which file, if any, a configuration came from.
type Source struct {
	Path     string // "" when only built-in defaults (and the environment) were used
	FromFile bool
	Via      string // "--config", "$ZHUB_CONFIG", "system path" or "built-in defaults"
}

// meta is what Load remembers about a Config beyond its values.
type meta struct {
	getenv  func(string) string
	origins map[string]origin // by dotted key
	source  Source
	dataDir string // how an empty data_dir was filled, e.g. "$STATE_DIRECTORY"
}

// origin is where a value came from; the zero origin is the built-in default.
type origin struct {
	file string
	line int
	env  string
}

// Load finds the configuration file, decodes it over Default(), applies the ZHUB_...
// environment overrides and chooses the data directory if none is set. Lookup order: the
// --config flag, then $ZHUB_CONFIG, then SystemPath if it exists, else built-in defaults
// only. A file named by the flag or the variable must be readable; a missing SystemPath is
// not an error.
//
// Load reports what stops decoding: unreadable file, TOML syntax, unknown keys, wrong types,
// unparsable values (PAN ids, durations, secret references) and bad environment values.
// Call Validate for the remaining static checks and CheckRuntime for the ones that need the
// OS. On error the returned Config is the zero value; the Source is still filled in.
func Load(opts LoadOptions) (Config, Source, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	sys := opts.SystemPath
	if sys == "" {
		sys = DefaultSystemPath
	}

	src := Source{Via: "built-in defaults"}
	switch {
	case opts.Flag != "":
		src = Source{Path: opts.Flag, FromFile: true, Via: "--config"}
	case getenv(EnvConfig) != "":
		src = Source{Path: getenv(EnvConfig), FromFile: true, Via: "$" + EnvConfig}
	default:
		if _, err := os.Stat(sys); err == nil || !errors.Is(err, fs.ErrNotExist) {
			src = Source{Path: sys, FromFile: true, Via: "system path"}
		}
	}

	var data []byte
	if src.FromFile {
		var err error
		if data, err = os.ReadFile(src.Path); err != nil {
			cause := err
			var pe *fs.PathError
			if errors.As(err, &pe) {
				cause = pe.Err
			}
			return Config{}, src, &Error{
				File: src.Path,
				Msg:  "cannot read configuration file: " + cause.Error() + " (named by " + src.Via + ")",
				Err:  errors.Join(ErrUnreadable, err),
			}
		}
	}
	cfg, err := decode(src, data, getenv)
	return cfg, src, err
}

// decode builds a Config from defaults, the file content (when src.FromFile) and the
// environment.
func decode(src Source, data []byte, getenv func(string) string) (Config, error) {
	cfg := Default()
	m := &meta{getenv: getenv, origins: map[string]origin{}, source: src}
	cfg.meta = m
	if src.FromFile {
		if err := decodeFile(&cfg, src.Path, string(data)); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if cfg.DataDir == "" {
		cfg.DataDir, m.dataDir = defaultDataDir(getenv)
	}
	for _, l := range schema {
		// An empty list is nil whether it came from the defaults or from "[]".
		if v := l.field(&cfg); l.kind == kindStrings && v.Len() == 0 {
			v.SetZero()
		}
	}
	return cfg, nil
}

// decodeFile decodes a TOML document over cfg in three passes: the TOML library parses it
// into a generic tree (syntax errors, with the parser's position); our own walk checks every
// known key's type and value against the schema (all problems at once, located by
// scanning); then the library decodes into the struct and MetaData.Undecoded names the
// unknown keys.
func decodeFile(cfg *Config, name, text string) error {
	var tree map[string]any
	if _, err := toml.Decode(text, &tree); err != nil {
		return syntaxError(name, text, err)
	}
	d := fileDecoder{name: name, lines: scanKeyLines(text)}
	d.checkTable(tree, configType, nil)
	if len(d.errs) > 0 {
		return d.result()
	}

	md, err := toml.Decode(text, cfg)
	if err != nil {
		// The walk above accepts only what the library can decode; this is a fallback.
		e := &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: "), Err: errors.Join(ErrInvalid, err)}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Key, e.Msg = pe.Position.Line, pe.LastKey, redactHexRuns(pe.Message)
		}
		return e
	}
	var reported [][]string
	for _, k := range md.Undecoded() {
		if slices.ContainsFunc(reported, func(p []string) bool { return hasPrefix(k, p) }) {
			continue // a child of an unknown table already reported
		}
		reported = append(reported, k)
		d.unknown(k)
	}
	if len(d.errs) > 0 {
		return d.result()
	}
	for _, k := range md.Keys() {
		if _, ok := leafByKey(k.String()); ok {
			cfg.meta.origins[k.String()] = origin{file: name, line: d.lines.lineOf(k)}
		}
	}
	return nil
}

func hasPrefix(k, p []string) bool {
	return len(k) >= len(p) && slices.Equal(k[:len(p)], p)
}

// syntaxError converts the TOML parser's error, keeping its position. The line is counted
// from the byte offset: the parser's own line number is one too far when the offending byte
// is a line's newline. Parser messages can quote the offending text, so long hex runs (a
// pasted key) are masked.
func syntaxError(name, text string, err error) error {
	e := &Error{File: name, Msg: "syntax error: " + redactHexRuns(err.Error()), Err: errors.Join(ErrSyntax, err)}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e.Line, e.Msg = pe.Position.Line, "syntax error: "+redactHexRuns(pe.Message)
		if s := pe.Position.Start; s > 0 && s <= len(text) {
			e.Line = strings.Count(text[:s], "\n") + 1
		}
		if pe.LastKey != "" {
			e.Msg += " (after key " + pe.LastKey + ")"
		}
	}
	return e
}

var hexRun = regexp.MustCompile(`[0-9A-Fa-f:x\-]{16,}`)

// redactHexRuns hides runs of 16 or more hex digits: a pasted key, or enough of one to
// matter (the parser quotes the longest number it could read).
func redactHexRuns(s string) string {
	return hexRun.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for _, c := range m {
			if c != ':' && c != '-' && c != 'x' {
				n++
			}
		}
		if n < 16 {
			return m
		}
		return "<hidden>"
	})
}

// fileDecoder collects problems found while checking a file's tree.
type fileDecoder struct {
	name  string
	lines keyLines
	errs  []*Error
}

func (d *fileDecoder) fail(path []string, err error) {
	msg := err.Error()
	d.errs = append(d.errs, &Error{
		File: d.name,
		Line: d.lines.lineOf(path),
		Key:  toml.Key(path).String(),
		Msg:  msg,
		Err:  err,
	})
}

func (d *fileDecoder) unknown(path []string) {
	msg := "unknown key"
	if s := suggest(path); s != "" {
		msg += "; did you mean " + s + "?"
	} else {
		msg += " (config.example.toml lists every key)"
	}
	d.fail(path, &problem{kind: ErrUnknownKey, msg: msg})
}

// result returns the collected problems in file order.
func (d *fileDecoder) result() error {
	slices.SortStableFunc(d.errs, func(a, b *Error) int { return a.Line - b.Line })
	return joinErrors(d.errs)
}

// checkTable checks the keys of one table of the tree against the struct type t.
func (d *fileDecoder) checkTable(tree map[string]any, t reflect.Type, path []string) {
	keys := make([]string, 0, len(tree))
	for k := range tree {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := append(path[:len(path):len(path)], k)
		f, exact := fieldByTag(t, k)
		if !exact {
			if f.Type != nil {
				// The TOML library matches field names case-insensitively; TOML keys are
				// case-sensitive, and zhub's are lower case.
				d.unknown(p)
			}
			continue // unknown keys are reported from MetaData.Undecoded
		}
		if isSection(f.Type) {
			sub, ok := tree[k].(map[string]any)
			if !ok {
				d.fail(p, problemf(ErrType, "wrong type: got %s, want a table ([%s])", tomlType(tree[k]), strings.Join(p, ".")))
				continue
			}
			d.checkTable(sub, f.Type, p)
			continue
		}
		l, _ := leafByKey(strings.Join(p, "."))
		if err := checkValue(l, tree[k]); err != nil {
			d.fail(p, err)
		}
	}
}

// fieldByTag returns the field of t whose toml tag is name. When only a case-insensitive
// match exists it returns that field and exact=false.
func fieldByTag(t reflect.Type, name string) (f reflect.StructField, exact bool) {
	for i := range t.NumField() {
		ff := t.Field(i)
		tag, _, _ := strings.Cut(ff.Tag.Get("toml"), ",")
		if !ff.IsExported() || tag == "" || tag == "-" {
			continue
		}
		if tag == name {
			return ff, true
		}
		if strings.EqualFold(tag, name) {
			f = ff
		}
	}
	return f, false
}

// checkValue checks one TOML value against its leaf: the type, and for values the TOML
// library would hand to a parser (durations, PAN ids, secret references) the value too.
// Type errors name types, never values: the value might be a secret.
func checkValue(l leaf, v any) error {
	wrong := func() error {
		return problemf(ErrType, "wrong type: got %s, want %s", tomlType(v), l.want())
	}
	switch l.kind {
	case kindString:
		if _, ok := v.(string); !ok {
			return wrong()
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	case kindInt:
		n, ok := v.(int64)
		if !ok {
			return wrong()
		}
		if int64(int(n)) != n {
			return problemf(ErrInvalid, "%d is too large", n)
		}
	case kindStrings:
		list, ok := v.([]any)
		if !ok {
			return wrong()
		}
		for _, item := range list {
			if _, ok := item.(string); !ok {
				return problemf(ErrType, "wrong type: the list holds a %s, want %s", tomlType(item), l.want())
			}
		}
	case kindDuration:
		s, ok := v.(string)
		if !ok {
			return wrong()
		}
		if _, err := parseDuration(s); err != nil {
			return err
		}
	case kindText:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case int64:
			if !l.intOK {
				return wrong()
			}
			s = strconv.FormatInt(x, 10)
		default:
			return wrong()
		}
		scratch := reflect.New(l.typ).Interface().(encoding.TextUnmarshaler)
		if err := scratch.UnmarshalText([]byte(s)); err != nil {
			return err
		}
	}
	return nil
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []map[string]any:
		return "array of tables"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	case nil:
		return "nothing"
	}
	return "datetime"
}

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, strconv.IntSize) }

func parseBool(s string) (bool, error) { return strconv.ParseBool(s) }

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, problemf(ErrInvalid, `%q is not a duration (use a Go duration such as "60s", "1m30s" or "500ms")`, s)
	}
	return d, nil
}

// applyEnv applies every ZHUB_<SECTION>_<KEY> variable that is set and non-empty.
func applyEnv(cfg *Config, getenv func(string) string) error {
	var errs []*Error
	for _, l := range schema {
		s := getenv(l.env)
		if s == "" {
			continue
		}
		if err := l.setString(cfg, s); err != nil {
			errs = append(errs, &Error{Env: l.env, Key: l.key, Msg: err.Error(), Err: err})
			continue
		}
		cfg.meta.origins[l.key] = origin{env: l.env}
	}
	return joinErrors(errs)
}

// defaultDataDir chooses the data directory when none is configured, and says how.
func defaultDataDir(getenv func(string) string) (dir, how string) {
	if sd := getenv("STATE_DIRECTORY"); sd != "" {
		// systemd joins several StateDirectory= entries with ':'; zhub's unit has one.
		first, _, _ := strings.Cut(sd, ":")
		return first, "$STATE_DIRECTORY"
	}
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) { // the XDG spec ignores relative paths
		return filepath.Join(x, "zhub"), "$XDG_STATE_HOME/zhub"
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "zhub"), "~/.local/state/zhub"
	}
	return "", ""
}

// suggest returns the known key or keys closest to an unknown one, e.g. "zigbee.channel"
// for "zigbee.chanel" or for "serial.channel", or "" when nothing is close.
func suggest(path []string) string {
	full := strings.ToLower(strings.Join(path, "."))
	last := strings.ToLower(path[len(path)-1])
	candidates := slices.Clone(sections)
	for _, l := range schema {
		candidates = append(candidates, l.key)
	}
	best, bestScore := []string(nil), 1<<30
	for _, c := range candidates {
		score := levenshtein(full, c)
		_, cLast, ok := strings.Cut(c, ".")
		if !ok {
			cLast = c
		}
		if s := levenshtein(last, cLast) + 1; s < score {
			score = s // right key name in the wrong section
		}
		switch {
		case score < bestScore:
			best, bestScore = []string{c}, score
		case score == bestScore:
			best = append(best, c)
		}
	}
	if bestScore > max(2, len(last)/3) {
		return ""
	}
	if len(best) > 3 {
		best = best[:3]
	}
	return strings.Join(best, " or ")
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
