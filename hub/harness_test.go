package hub_test

import (
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = hubtest.Guard

// Addresses of sim.DefaultDevices.
var (
	colorLight = sim.DefaultDevices()[0].IEEE
	dimmable   = sim.DefaultDevices()[1].IEEE
	plug       = sim.DefaultDevices()[2].IEEE
	thSensor   = sim.DefaultDevices()[3].IEEE
	contact    = sim.DefaultDevices()[4].IEEE
	remote     = sim.DefaultDevices()[5].IEEE
	spareLight = sim.DefaultDevices()[6].IEEE
)
