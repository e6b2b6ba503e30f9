package rules

import (
	"slices"
	"strings"
)

// match is how well the user's words fit one device.
type match struct {
	dev   *DeviceInfo
	score int
	exact bool
}

// nameWords are the words of a device's name and aliases.
func nameWords(d *DeviceInfo) [][]string { return d.ix().names }

// fit scores device d against the user's words; ok is false when some word
// matches nothing about d.
func fit(d *DeviceInfo, ws []string) (m match, ok bool) {
	m.dev = d
	x := d.ix()
	names, room, syn := x.names, x.room, typeSynonyms[x.kind]
	for _, w := range ws {
		switch {
		case anyFuzzy(w, names):
			m.score += 3
		case slices.ContainsFunc(room, func(r string) bool { return fuzzyEqual(w, r) }):
			m.score += 2
		case slices.Contains(syn, w) || w == "device" || w == "devices" || w == "thing" || w == "things":
			m.score++
		default:
			return m, false
		}
	}
	phrase := strings.Join(ws, " ")
	for _, n := range names {
		if strings.Join(n, " ") == phrase {
			m.exact = true
		}
	}
	return m, true
}

func anyFuzzy(w string, names [][]string) bool {
	for _, n := range names {
		for _, x := range n {
			if fuzzyEqual(w, x) {
				return true
			}
		}
	}
	return false
}

// outcome of resolving a clause's target.
type outcome struct {
	devs     []*DeviceInfo // the devices to act on
	ask      string        // a clarifying question or refusal instead
	notAbled []*DeviceInfo // matched but lacking the capability (for messages)
}

// How resolve picks among several fitting devices.
type pick int

const (
	pickOne  pick = iota // the best one; a tie asks which
	pickAll              // every one (plurals, "all")
	pickBest             // the best one, or all tied for best (questions)
)

// resolve finds the devices the words name, among those with the needed
// capabilities.
func resolve(devs []DeviceInfo, ws []string, need []string, mode pick, what string) outcome {
	var fits []match
	for i := range devs {
		if m, ok := fit(&devs[i], ws); ok {
			fits = append(fits, m)
		}
	}
	if len(fits) == 0 {
		return outcome{ask: unknownDevice(devs, ws)}
	}
	capable := slices.DeleteFunc(slices.Clone(fits), func(m match) bool { return !hasAll(m.dev, need) })
	if len(capable) == 0 {
		var names []string
		var nd []*DeviceInfo
		for _, m := range fits {
			names = append(names, display(m.dev.Name))
			nd = append(nd, m.dev)
		}
		if len(fits) == 1 {
			return outcome{ask: capitalised(display(fits[0].dev.Name)) + " can't " + what + ".", notAbled: nd}
		}
		return outcome{ask: "None of " + joinNames(names) + " can " + what + ".", notAbled: nd}
	}
	if mode == pickAll {
		out := outcome{}
		for _, m := range capable {
			out.devs = append(out.devs, m.dev)
		}
		return out
	}
	// one device: an exact name wins, then the best score; a tie asks
	for _, m := range capable {
		if m.exact {
			return outcome{devs: []*DeviceInfo{m.dev}}
		}
	}
	best := slices.MaxFunc(capable, func(a, b match) int { return a.score - b.score })
	var tied []string
	for _, m := range capable {
		if m.score == best.score {
			tied = append(tied, display(m.dev.Name))
		}
	}
	if len(tied) > 1 && mode == pickBest {
		out := outcome{}
		for _, m := range capable {
			if m.score == best.score {
				out.devs = append(out.devs, m.dev)
			}
		}
		return out
	}
	if len(tied) > 1 {
		return outcome{ask: "Which one do you mean: " + joinOr(tied) + "?"}
	}
	return outcome{devs: []*DeviceInfo{best.dev}}
}

func hasAll(d *DeviceInfo, need []string) bool {
	for _, p := range need {
		if p == "lock_state" && d.kind() == "lock" {
			continue
		}
		if p == "state" && (d.switchable() || d.kind() == "lock") {
			continue
		}
		if !d.has(p) {
			return false
		}
	}
	return true
}

// unknownDevice says that no device fits the words, suggesting the closest
// name when one is reasonably close.
func unknownDevice(devs []DeviceInfo, ws []string) string {
	phrase := strings.Join(ws, " ")
	msg := "I don't know a device called \"" + phrase + "\""
	bestShared, bestDist, best := 0, 1<<30, ""
	for i := range devs {
		for _, n := range nameWords(&devs[i]) {
			shared := 0
			for _, w := range ws {
				if slices.ContainsFunc(n, func(x string) bool { return fuzzyEqual(w, x) }) {
					shared++
				}
			}
			name := strings.Join(n, " ")
			d := distance(phrase, name, 64)
			if shared > bestShared || shared == bestShared && d < bestDist {
				bestShared, bestDist, best = shared, d, display(devs[i].Name)
			}
		}
	}
	if best != "" && (bestShared > 0 || bestDist <= max(2, len(phrase)/2)) {
		return msg + " — did you mean " + best + "?"
	}
	return msg + ". Say \"list devices\" to see the ones I know."
}
