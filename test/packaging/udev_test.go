package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// udevItem is one KEY op "value" of a udev rule.
type udevItem struct{ key, op, value string }

// udevRule is one logical line of a rules file.
type udevRule struct {
	line  int
	items []udevItem
}

var udevItemRE = regexp.MustCompile(`^([A-Z_]+(?:\{[^}]+\})?)(==|!=|\+=|-=|:=|=)"([^"]*)"$`)

// The keys this rule file may use, and whether each matches (true) or assigns.
var udevKeys = map[string]bool{
	"SUBSYSTEM": true, "ACTION": true, "KERNEL": true, "ATTRS": true,
	"GOTO": false, "LABEL": false, "SYMLINK": false, "GROUP": false, "MODE": false, "ENV": false, "TAG": false,
}

// parseUdev splits a rules file into rules, joining continued lines, and checks each
// item's syntax and key.
func parseUdev(t *testing.T, text string) []udevRule {
	t.Helper()
	var rules []udevRule
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := lines[i]
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + lines[i]
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		r := udevRule{line: start}
		for _, part := range strings.Split(line, ",") {
			m := udevItemRE.FindStringSubmatch(strings.TrimSpace(part))
			if m == nil {
				t.Fatalf("line %d: not KEY op \"value\": %q", start, part)
			}
			base, _, _ := strings.Cut(m[1], "{")
			match, known := udevKeys[base]
			if !known {
				t.Fatalf("line %d: unexpected key %s", start, m[1])
			}
			if match != (m[2] == "==" || m[2] == "!=") {
				t.Fatalf("line %d: %s used with %s", start, m[1], m[2])
			}
			r.items = append(r.items, udevItem{m[1], m[2], m[3]})
		}
		rules = append(rules, r)
	}
	return rules
}

// udevGlob turns a udev match pattern (fnmatch with *, ?, [...] and | alternatives)
// into a regular expression.
func udevGlob(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	var alts []string
	for _, alt := range strings.Split(pattern, "|") {
		var b strings.Builder
		for i := 0; i < len(alt); i++ {
			switch c := alt[i]; c {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			case '[':
				end := strings.IndexByte(alt[i:], ']')
				if end < 0 {
					t.Fatalf("unclosed [ in %q", pattern)
				}
				b.WriteString(alt[i : i+end+1])
				i += end
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		alts = append(alts, b.String())
	}
	return regexp.MustCompile("^(?:" + strings.Join(alts, "|") + ")$")
}

// udevDevice is what the rules see of a tty event: the action, the subsystem and the
// USB device's attributes (idVendor, idProduct, product).
type udevDevice struct {
	action, subsystem string
	attrs             map[string]string
}

// udevResult is what the rules assigned.
type udevResult struct {
	symlinks []string
	env      map[string]string
	tags     []string
	group    string
	mode     string
}

// applyUdev runs the rules against a device the way udev does for this subset: every
// match item of a rule must hold (ATTRS on the one USB device), then its assignments
// apply; GOTO jumps forward to its LABEL.
func applyUdev(t *testing.T, rules []udevRule, dev udevDevice) udevResult {
	t.Helper()
	res := udevResult{env: map[string]string{}}
	labels := map[string]int{}
	for i, r := range rules {
		for _, it := range r.items {
			if it.key == "LABEL" {
				labels[it.value] = i
			}
		}
	}
	for i := 0; i < len(rules); i++ {
		r := rules[i]
		matched := true
		for _, it := range r.items {
			if it.op != "==" && it.op != "!=" {
				continue
			}
			var have string
			var ok bool
			switch {
			case it.key == "ACTION":
				have, ok = dev.action, true
			case it.key == "SUBSYSTEM":
				have, ok = dev.subsystem, true
			case strings.HasPrefix(it.key, "ATTRS{"):
				have, ok = dev.attrs[strings.TrimSuffix(strings.TrimPrefix(it.key, "ATTRS{"), "}")]
			default:
				t.Fatalf("line %d: no model for matching %s", r.line, it.key)
			}
			eq := ok && udevGlob(t, it.value).MatchString(have)
			if (it.op == "==") != eq {
				matched = false
				break
			}
		}
		if !matched {
			continue
		}
		jump := ""
		for _, it := range r.items {
			switch {
			case it.key == "SYMLINK":
				res.symlinks = append(res.symlinks, it.value)
			case it.key == "TAG":
				res.tags = append(res.tags, it.value)
			case it.key == "GROUP":
				res.group = it.value
			case it.key == "MODE":
				res.mode = it.value
			case strings.HasPrefix(it.key, "ENV{"):
				res.env[strings.TrimSuffix(strings.TrimPrefix(it.key, "ENV{"), "}")] = it.value
			case it.key == "GOTO":
				jump = it.value
			}
		}
		if jump != "" {
			target, ok := labels[jump]
			if !ok || target <= i {
				t.Fatalf("line %d: GOTO %q has no later LABEL", r.line, jump)
			}
			i = target - 1 // the LABEL line itself runs next
		}
	}
	return res
}

// TestUdevRule checks that known Zigbee dongles get /dev/zigbee, stay away from
// ModemManager and become systemd devices, while other devices on the same generic
// USB-serial bridge chips do not.
func TestUdevRule(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoRoot(t), "packaging", "70-zhub.rules"))
	if err != nil {
		t.Fatal(err)
	}
	rules := parseUdev(t, string(text))
	usb := func(vid, pid, product string) map[string]string {
		return map[string]string{"idVendor": vid, "idProduct": pid, "product": product}
	}
	tests := []struct {
		name   string
		dev    udevDevice
		zigbee bool
	}{
		{"Sonoff ZBDongle-P", udevDevice{"add", "tty", usb("10c4", "ea60", "Sonoff Zigbee 3.0 USB Dongle Plus")}, true},
		{"Sonoff ZBDongle-E", udevDevice{"add", "tty", usb("1a86", "55d4", "Sonoff Zigbee 3.0 USB Dongle Plus V2")}, true},
		{"ZBDongle-E in capitals", udevDevice{"add", "tty", usb("1a86", "55d4", "SONOFF Zigbee 3.0 USB Dongle Plus V2")}, true},
		{"Home Assistant SkyConnect", udevDevice{"add", "tty", usb("10c4", "ea60", "SkyConnect v1.0")}, true},
		{"Home Assistant Connect ZBT-1", udevDevice{"add", "tty", usb("10c4", "ea60", "Home Assistant Connect ZBT-1")}, true},
		{"SMLIGHT SLZB-07", udevDevice{"add", "tty", usb("10c4", "ea60", "SMLIGHT SLZB-07")}, true},
		{"SMLIGHT SLZB-07Mg24", udevDevice{"add", "tty", usb("10c4", "ea60", "SMLIGHT SLZB-07Mg24")}, true},
		{"slae.sh CC2652RB", udevDevice{"add", "tty", usb("10c4", "ea60", "slae.sh cc2652rb stick - slaesh's iot stuff")}, true},
		{"TI CC2531", udevDevice{"add", "tty", usb("0451", "16a8", "TI CC2531 USB CDC")}, true},
		{"re-trigger (change) of a dongle", udevDevice{"change", "tty", usb("10c4", "ea60", "Sonoff Zigbee 3.0 USB Dongle Plus")}, true},
		{"plain CP2102 console cable", udevDevice{"add", "tty", usb("10c4", "ea60", "CP2102 USB to UART Bridge Controller")}, false},
		{"ESP32 board on a CH9102", udevDevice{"add", "tty", usb("1a86", "55d4", "USB Single Serial")}, false},
		{"ConBee II (unsupported)", udevDevice{"add", "tty", usb("1cf1", "0030", "ConBee II")}, false},
		{"CH340 stick without product", udevDevice{"add", "tty", usb("1a86", "7523", "USB Serial")}, false},
		{"dongle removed", udevDevice{"remove", "tty", usb("10c4", "ea60", "Sonoff Zigbee 3.0 USB Dongle Plus")}, false},
		{"dongle's usb device event", udevDevice{"add", "usb", usb("10c4", "ea60", "Sonoff Zigbee 3.0 USB Dongle Plus")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := applyUdev(t, rules, tc.dev)
			got := strings.Join(res.symlinks, " ") == "zigbee"
			if got != tc.zigbee {
				t.Fatalf("symlinks %q, want /dev/zigbee: %v", res.symlinks, tc.zigbee)
			}
			if !tc.zigbee {
				if len(res.env)+len(res.tags) != 0 || res.group != "" || res.mode != "" {
					t.Errorf("a device that is not a dongle was changed: %+v", res)
				}
				return
			}
			if res.env["ID_MM_DEVICE_IGNORE"] != "1" {
				t.Errorf("ModemManager not told to ignore the dongle: env %v", res.env)
			}
			if strings.Join(res.tags, " ") != "systemd" {
				t.Errorf("tags %q, want systemd (dev-zigbee.device)", res.tags)
			}
			if res.group != "dialout" || res.mode != "0660" {
				t.Errorf("group %q mode %q, want dialout 0660", res.group, res.mode)
			}
		})
	}
}
