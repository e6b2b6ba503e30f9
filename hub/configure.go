package hub

import (
	"context"
	"fmt"

	"github.com/zhubhq/zhub/zigbee"
)

// Configure re-does an interviewed device's binds and reporting
// configuration (the interview's StepBind and StepConfigureReporting, once
// each, without retries) and leaves everything else as it is: Zigbee2MQTT's
// "reconfigure", for a device that stopped reporting after it rejoined or
// was reset.
//
// Errors: *UnknownDeviceError; ErrNotInterviewed when the device has not
// finished an interview successfully (or one is running); a *CommandError
// with Kind ErrNotRunning when the hub is not running or the network is
// down; the failed step's *CommandError (its Op names the cluster).
func (h *Hub) Configure(ctx context.Context, name string) error {
	var ieee zigbee.IEEE
	var devName string
	err := h.withDevice(name, func(d *device) error {
		if d.interviewing || d.interview.State != InterviewSuccessful || d.m == nil {
			return fmt.Errorf("hub: %s: configure: %w", d.name, ErrNotInterviewed)
		}
		ieee, devName = d.ieee, d.name
		return nil
	})
	if err != nil {
		return err
	}
	if err := h.checkRunning(devName, "configure"); err != nil {
		return err
	}
	start := h.now()
	h.log.Info("configure started", "event", "configure_started", "device", devName, "ieee", ieee.String())
	for _, step := range []string{StepBind, StepConfigureReporting} {
		if err := h.runStep(ctx, ieee, step); err != nil {
			h.log.Warn("configure failed", "event", "configure_failed", "device", devName, "ieee", ieee.String(),
				"step", step, "err", err, "elapsed_ms", msSince(start, h.now()))
			return err
		}
	}
	h.log.Info("configure done", "event", "configure_done", "device", devName, "ieee", ieee.String(), "elapsed_ms", msSince(start, h.now()))
	return nil
}
