package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// keyLines maps every key and table a TOML document defines to the line (1-based) where it
// first appears. The TOML library does not export key positions, so this is a deliberately
// small line scanner run over a document that has already parsed: it only has to find
// `[table]` / `[[table]]` headers and `key = ` lines, and to skip the insides of multi-line
// strings and arrays where such text can also occur. Keys inside inline tables are not
// recorded; lineOf falls back to the line of the nearest recorded parent.
type keyLines map[string]int

func pathKey(path []string) string { return strings.Join(path, "\x00") }

func scanKeyLines(src string) keyLines {
	kl := keyLines{}
	var (
		table []string
		st    valueState
	)
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if st.busy() {
			st.consume(line)
			continue
		}
		s := strings.TrimLeft(line, " \t")
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			inner := strings.TrimPrefix(s[1:], "[") // [table] or [[array.of.tables]]
			keys, rest, ok := parseKeyPath(inner)
			if ok && strings.HasPrefix(strings.TrimLeft(rest, " \t"), "]") {
				table = keys
				kl.add(table, n)
			}
			continue
		}
		keys, rest, ok := parseKeyPath(s)
		rest = strings.TrimLeft(rest, " \t")
		if !ok || !strings.HasPrefix(rest, "=") {
			continue
		}
		kl.add(append(table[:len(table):len(table)], keys...), n)
		st.consume(rest[1:])
	}
	return kl
}

// add records path and each of its parents unless already seen.
func (kl keyLines) add(path []string, line int) {
	for i := 1; i <= len(path); i++ {
		k := pathKey(path[:i])
		if _, ok := kl[k]; !ok {
			kl[k] = line
		}
	}
}

// lineOf returns the line of path or of its nearest recorded parent, 0 if none.
func (kl keyLines) lineOf(path []string) int {
	for i := len(path); i > 0; i-- {
		if n, ok := kl[pathKey(path[:i])]; ok {
			return n
		}
	}
	return 0
}

// valueState follows a value across lines: an unterminated multi-line string or array
// means the following lines are not key lines.
type valueState struct {
	ml    byte // '"' or '\'' inside a multi-line string, else 0
	depth int  // open '[' of arrays
}

func (st *valueState) busy() bool { return st.ml != 0 || st.depth > 0 }

func (st *valueState) consume(s string) {
	for i := 0; i < len(s); {
		if st.ml != 0 {
			j := closeMultiline(s[i:], st.ml)
			if j < 0 {
				return
			}
			i += j
			st.ml = 0
			continue
		}
		switch c := s[i]; {
		case c == '#':
			return
		case strings.HasPrefix(s[i:], `"""`), strings.HasPrefix(s[i:], `'''`):
			st.ml = c
			i += 3
		case c == '"':
			i += skipBasic(s[i:])
		case c == '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 2
			} else {
				i = len(s)
			}
		case c == '[':
			st.depth++
			i++
		case c == ']':
			if st.depth > 0 {
				st.depth--
			}
			i++
		default:
			i++
		}
	}
}

// closeMultiline returns the index just after the closing delimiter (three q's, plus up to
// two more q's that belong to the content), or -1.
func closeMultiline(s string, q byte) int {
	delim := strings.Repeat(string(q), 3)
	for i := 0; i < len(s); i++ {
		if q == '"' && s[i] == '\\' {
			i++
			continue
		}
		if strings.HasPrefix(s[i:], delim) {
			j := i + 3
			for k := 0; k < 2 && j < len(s) && s[j] == q; k++ {
				j++
			}
			return j
		}
	}
	return -1
}

// skipBasic returns the length of the basic string at the start of s (or len(s) if it is
// not closed on this line).
func skipBasic(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// parseKeyPath reads a dotted key (bare, "basic" or 'literal' parts) at the start of s and
// returns its parts and the rest of s.
func parseKeyPath(s string) (keys []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		var part string
		switch s[0] {
		case '"':
			n := skipBasic(s)
			if n < 2 || s[n-1] != '"' {
				return nil, "", false
			}
			part = unescapeBasic(s[1 : n-1])
			s = s[n:]
		case '\'':
			j := strings.IndexByte(s[1:], '\'')
			if j < 0 {
				return nil, "", false
			}
			part = s[1 : j+1]
			s = s[j+2:]
		default:
			j := 0
			for j < len(s) && isBareKeyChar(s[j]) {
				j++
			}
			if j == 0 {
				return nil, "", false
			}
			part = s[:j]
			s = s[j:]
		}
		keys = append(keys, part)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return keys, s, true
		}
		s = s[1:]
	}
}

func isBareKeyChar(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// unescapeBasic decodes the escapes of a TOML basic string. Unknown escapes are kept as
// written; the result is only used to match key names.
func unescapeBasic(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"', '\\':
			b.WriteByte(s[i])
		case 'u', 'U':
			n := 4
			if s[i] == 'U' {
				n = 8
			}
			if i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
