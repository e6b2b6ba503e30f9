package main

import (
	"strings"
	"testing"
)

// TestCLIPairEZSP runs the CLI's pairing path on the emulated EmberZNet NCP
// (EZSP v14): everything above the coordinator works unchanged whichever
// dongle is plugged in (issue 11, acceptance 7).
func TestCLIPairEZSP(t *testing.T) {
	d := startCLIDaemon(t, "ZHUB_SIM_NCP=ezsp14")
	out := d.ok("pair", "--count", "1", "--duration", "60")
	for _, want := range []string{spareIEEE + " joined", "✓ basic_attributes", "✓ configure_reporting", "✓ paired " + spareIEEE, "Joining closed"} {
		if !strings.Contains(out, want) {
			t.Errorf("pair output lacks %q:\n%s", want, out)
		}
	}
	d.ok("device", "rename", spareIEEE, "desk_lamp")
	if out := d.ok("set", "desk_lamp", "state=ON"); !strings.Contains(out, "state ON") {
		t.Errorf("set: %q", out)
	}
	if out := d.ok("get", "desk_lamp", "state"); !strings.Contains(out, "ON") {
		t.Errorf("get state: %q", out)
	}
	// The dimmable default device on the same stick: a percentage is scaled to 0–254.
	if out := d.ok("set", "kitchen_light", "brightness=50%"); !strings.Contains(out, "brightness 127") && !strings.Contains(out, "brightness 128") {
		t.Errorf("set kitchen_light brightness=50%%: %q", out)
	}
	if out := d.ok("status"); !strings.Contains(strings.ToLower(out), "ember") {
		t.Errorf("status does not name the EmberZNet coordinator:\n%s", out)
	}
}
