package hub

import (
	"strings"
	"unicode/utf8"
)

// validName checks a friendly name for what MQTT topics and Zigbee2MQTT
// allow: not empty, not "bridge", no MQTT wildcards, no leading or
// trailing slash or space, no empty topic levels, no control characters.
func validName(s string) error {
	switch {
	case s == "":
		return errorf("%w: empty", ErrInvalidName)
	case !utf8.ValidString(s):
		return errorf("%w: %q is not valid UTF-8", ErrInvalidName, s)
	case s == "bridge" || strings.HasPrefix(s, "bridge/"):
		return errorf("%w: %q is reserved", ErrInvalidName, s)
	case strings.ContainsAny(s, "+#"):
		return errorf("%w: %q contains an MQTT wildcard (+ or #)", ErrInvalidName, s)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return errorf("%w: %q has an empty topic level", ErrInvalidName, s)
	case strings.TrimSpace(s) != s:
		return errorf("%w: %q starts or ends with a space", ErrInvalidName, s)
	case strings.HasSuffix(s, "/set") || strings.HasSuffix(s, "/get") || strings.Contains(s, "/set/") || strings.Contains(s, "/get/"):
		return errorf("%w: %q contains a set or get topic level", ErrInvalidName, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7F {
			return errorf("%w: %q contains a control character", ErrInvalidName, s)
		}
	}
	return nil
}

// suggest returns the candidate closest to s when it is close enough to
// be a likely typo (edit distance at most a third of the length, at least
// 1, at most 3), or a candidate that contains s or is contained in it.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	limit := min(3, max(1, utf8.RuneCountInString(s)/3))
	if best != "" && bestD <= limit {
		return best
	}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(ls) >= 3 && (strings.Contains(lc, ls) || strings.Contains(ls, lc)) {
			return c
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
