package hub

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee/zcl"
)

// describeCmds renders commands as "ep/cluster cmd payload → props".
func describeCmds(cmds []command) string {
	var out []string
	for _, c := range cmds {
		kind := "cmd"
		if c.frame.Type == zcl.FrameGlobal {
			kind = "global"
		}
		out = append(out, fmt.Sprintf("%d/%v %s %02X %X → %s", c.ep, c.cluster, kind, uint8(c.frame.Command), c.frame.Payload, strings.Join(c.props, ",")))
	}
	return strings.Join(out, "; ")
}

// TestSetCommands checks the ZCL each Set becomes (commands and payloads
// per ZCL rev 8 chapters 3.8, 3.10, 5.2, 7.3, 7.4, 6.3).
func TestSetCommands(t *testing.T) {
	light := deriveModel(capabilityCases[2].desc) // colour light
	twoGang := deriveModel(capabilityCases[14].desc)
	blind := deriveModel(capabilityCases[10].desc)
	lock := deriveModel(capabilityCases[18].desc)
	trv := deriveModel(capabilityCases[15].desc)
	tests := []struct {
		name string
		m    *model
		set  map[string]any
		want string
	}{
		{"on", light, map[string]any{"state": "ON"}, "1/0x0006 cmd 01  → state"},
		{"on with brightness is one command", light, map[string]any{"state": "ON", "brightness": 120, "transition": 2},
			"1/0x0008 cmd 04 781400 → brightness,state"},
		{"off with brightness keeps it off", light, map[string]any{"state": "OFF", "brightness": 120},
			"1/0x0006 cmd 00  → state; 1/0x0008 cmd 00 780000 → brightness"},
		{"brightness 0 is off", light, map[string]any{"brightness": 0}, "1/0x0006 cmd 00  → state"},
		{"colour temperature with transition", light, map[string]any{"color_temp": 250, "transition": 0.5},
			"1/0x0300 cmd 0A FA000500 → color_temp"},
		{"xy", light, map[string]any{"color": map[string]any{"x": 0.5, "y": 0.25}}, "1/0x0300 cmd 07 008000400000 → color"},
		{"hue and saturation", light, map[string]any{"color": map[string]any{"hue": 180, "saturation": 50}},
			"1/0x0300 cmd 06 7F7F0000 → color"},
		{"second gang", twoGang, map[string]any{"state_l2": "toggle"}, "2/0x0006 cmd 02  → state_l2"},
		{"both gangs", twoGang, map[string]any{"state_l1": "ON", "state_l2": "OFF"},
			"1/0x0006 cmd 01  → state_l1; 2/0x0006 cmd 00  → state_l2"},
		{"cover open", blind, map[string]any{"state": "open"}, "1/0x0102 cmd 00  → "},
		{"cover position", blind, map[string]any{"position": 30}, "1/0x0102 cmd 05 46 → position"},
		{"lock", lock, map[string]any{"state": "LOCK"}, "1/0x0101 cmd 00 00 → state,lock_state"},
		{"unlock", lock, map[string]any{"state": "unlock"}, "1/0x0101 cmd 01 00 → state,lock_state"},
		{"setpoint", trv, map[string]any{"occupied_heating_setpoint": 21.5}, "1/0x0201 global 02 1200296608 → occupied_heating_setpoint"},
		{"setpoint rounds to the 0.5 °C step", trv, map[string]any{"occupied_heating_setpoint": 20.26}, "1/0x0201 global 02 1200290208 → occupied_heating_setpoint"},
		{"system mode", trv, map[string]any{"system_mode": "Heat"}, "1/0x0201 global 02 1C003004 → system_mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := validateSet(tc.m, "dev", tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if got := describeCmds(r.cmds); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := validateSet(twoGang, "dev", map[string]any{"state": "ON"}); !errors.Is(err, ErrUnknownProperty) ||
		!strings.Contains(err.Error(), "state_l1") {
		t.Errorf("un-suffixed state on a two-gang switch: %v", err)
	}
	if _, err := validateSet(trv, "dev", map[string]any{"occupied_heating_setpoint": 35}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("setpoint out of range: %v", err)
	}
	if _, err := validateSet(lock, "dev", map[string]any{"lock_state": "locked"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("lock_state is read-only: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"kitchen_light", "living_room_lamp", "coffee_plug", "front_door", "0x00124b00a1c00005"}
	tests := map[string]string{
		"kitchen_lihgt": "kitchen_light", "Kitchen_Light": "kitchen_light", "front door": "front_door",
		"coffee": "coffee_plug", "garage": "", "x": "", "living_room_lamps": "living_room_lamp",
	}
	for in, want := range tests {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
