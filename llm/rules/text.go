package rules

import (
	"strconv"
	"strings"
	"unicode"
)

// words splits s into lowercase words: letters and digits, with "%" as its
// own word; everything else separates. "kitchen/ceiling_light" → kitchen,
// ceiling, light.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’':
			// drop apostrophes: what's → whats, don't → dont
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' && cur.Len() > 0 && isDigits(cur.String()):
			cur.WriteRune(r)
		case r == '%':
			flush()
			out = append(out, "%")
		case r == ',' || r == ';' || r == '?' || r == '!':
			flush()
			out = append(out, ",")
		default:
			flush()
		}
	}
	flush()
	for i, w := range out { // "21." at a sentence end
		if strings.HasSuffix(w, ".") {
			out[i] = strings.TrimRight(w, ".")
		}
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// number parses "30", "7.5" or a number word.
func number(w string) (float64, bool) {
	if f, err := strconv.ParseFloat(w, 64); err == nil {
		return f, true
	}
	if n, ok := numberWords[w]; ok {
		return float64(n), true
	}
	return 0, false
}

var numberWords = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
	"fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}

// distance is the optimal string alignment distance (Levenshtein with
// adjacent transpositions, so "trun" is one edit from "turn"), computed on
// bytes; it gives up and returns limit+1 once the distance exceeds limit.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if a == b {
		return 0
	}
	var buf [3][33]int
	var prev2, prev, cur []int
	if len(b) < len(buf[0]) {
		prev2, prev, cur = buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	} else {
		prev2, prev, cur = make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// tolerance is how many edits a word of length n may be off by.
func tolerance(n int) int {
	switch {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

// fuzzyEqual reports whether the user's word w means the name word n:
// equal, a plural of it, or within tolerance.
func fuzzyEqual(w, n string) bool {
	if w == n || w == n+"s" || w+"s" == n || w == n+"es" {
		return true
	}
	lim := tolerance(min(len(w), len(n)))
	return lim > 0 && distance(w, n, lim) <= lim
}

// joinNames lists names as "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// joinOr lists names as "a, b or c".
func joinOr(names []string) string {
	if len(names) < 2 {
		return joinNames(names)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
