package main

import (
	"testing"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// TestEmbeddedDefaultOnEZSP is the embedded-default hub test on the
// emulated EmberZNet NCP (ZHUB_SIM_NCP): the hub pairs, interviews and
// names the six virtual devices through the EZSP driver, and a restart
// resumes without pairing again.
func TestEmbeddedDefaultOnEZSP(t *testing.T) {
	for _, ncp := range []string{"ezsp13", "ezsp14"} {
		t.Run(ncp, func(t *testing.T) {
			t.Setenv("ZHUB_SIM_NCP", ncp)
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.HTTP.Listen = ""
			cfg.Serial.Adapter = config.AdapterSim

			events, stop := runDaemon(t, cfg)
			waitEvent(t, events, "sim_paired", "sim_pair_failed", "sim_pair_incomplete")
			stop()
			want := map[string]string{}
			for i, name := range simDefaultNames {
				want[sim.DefaultDevices()[i].IEEE.String()] = name
			}
			checkStoredDevices(t, cfg.DataDir, want)

			events, stop = runDaemon(t, cfg)
			waitEvent(t, events, "ready", "sim_pair_start", "network_form")
			stop()
		})
	}
}
