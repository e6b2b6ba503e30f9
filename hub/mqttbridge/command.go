package mqttbridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
)

// command queues a /set or /get behind earlier commands for the same
// target.
func (b *Bridge) command(t Topic, topic string, payload []byte) {
	if !b.exec.do(t.Target, func() { b.runCommand(t, topic, payload) }) {
		b.commandFailed(t, topic, fmt.Errorf("mqttbridge: %s: %w (%d commands waiting)", topic, ErrOverloaded, b.cfg.MaxPending))
	}
}

// resolveTarget finds the device and endpoint a command target names:
// the whole target as a friendly name or IEEE address, else its last level
// as an endpoint ("plug/l2", "plug/2").
func (b *Bridge) resolveTarget(target string) (hub.Device, string, error) {
	d, err := b.h.Device(target)
	if err == nil {
		return d, "", nil
	}
	if i := strings.LastIndexByte(target, '/'); i > 0 && errors.Is(err, hub.ErrUnknownDevice) {
		if d2, err2 := b.h.Device(target[:i]); err2 == nil {
			ep := target[i+1:]
			if ep != "" && ep[0] >= '0' && ep[0] <= '9' {
				ep = "l" + ep // endpoint numbers name the hub's "l<N>" endpoints
			}
			return d2, ep, nil
		}
	}
	return hub.Device{}, "", err
}

// withEndpoint suffixes property names with an explicit endpoint.
func withEndpointKeys(values map[string]any, ep string) map[string]any {
	if ep == "" {
		return values
	}
	out := make(map[string]any, len(values))
	for k, v := range values {
		if k == "transition" {
			out[k] = v // applies to the command, not a property
			continue
		}
		out[k+"_"+ep] = v
	}
	return out
}

func (b *Bridge) runCommand(t Topic, topic string, payload []byte) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.CommandTimeout)
	defer cancel()
	dev, ep, err := b.resolveTarget(t.Target)
	if err != nil {
		b.commandFailed(t, topic, err)
		return
	}
	name := dev.FriendlyName
	switch t.Kind {
	case TopicSet:
		values, err := ParseSetPayload(t.Property, payload)
		if err != nil {
			b.commandFailed(t, topic, fmt.Errorf("mqttbridge: %s: %w", topic, err))
			return
		}
		values = withEndpointKeys(values, ep)
		if b.cfg.HADiscovery {
			skipRedundantState(values, dev.State, ep)
		}
		if len(values) == 0 {
			return
		}
		if _, err := b.h.Set(ctx, name, values); err != nil {
			b.commandFailed(t, topic, err)
			return
		}
		b.republish(name)
		b.log.Debug("set done", "event", "set_done", "device", name, "topic", topic, "elapsed_ms", ms(time.Since(start)))
	case TopicGet:
		props, err := ParseGetPayload(t.Property, payload)
		if err != nil {
			b.commandFailed(t, topic, fmt.Errorf("mqttbridge: %s: %w", topic, err))
			return
		}
		if ep != "" {
			for i, p := range props {
				props[i] = p + "_" + ep
			}
		}
		if _, err := b.h.Get(ctx, name, props...); err != nil {
			b.commandFailed(t, topic, err)
			return
		}
		b.republish(name)
		b.log.Debug("get done", "event", "get_done", "device", name, "topic", topic, "elapsed_ms", ms(time.Since(start)))
	}
}

// republish queues a device's state after a command, as Zigbee2MQTT
// publishes after every /set and /get even when nothing changed (the hub
// reports changes only); it coalesces with a change still queued.
func (b *Bridge) republish(name string) {
	if d, err := b.h.Device(name); err == nil {
		b.out.mark(d)
	}
}

// skipRedundantState drops "state":"ON" when the light is already on and
// the command sets a colour or colour temperature without brightness:
// Home Assistant always sends state, and some bulbs flash on a redundant
// On command (Zigbee2MQTT's behaviour, lib/extension/publish.ts).
func skipRedundantState(values map[string]any, current map[string]any, ep string) {
	sfx := ""
	if ep != "" {
		sfx = "_" + ep
	}
	st, ok := values["state"+sfx].(string)
	if !ok || !strings.EqualFold(st, "ON") {
		return
	}
	_, ct := values["color_temp"+sfx]
	_, col := values["color"+sfx]
	_, bri := values["brightness"+sfx]
	if (ct || col) && !bri && current["state"+sfx] == "ON" {
		delete(values, "state"+sfx)
	}
}

// commandFailed reports a /set or /get that did not happen: an error log,
// a bridge/logging line and a bridge/event "command_failed". Zigbee2MQTT
// has no response topic for /set; this makes the failure visible to
// automations as well as to people.
func (b *Bridge) commandFailed(t Topic, topic string, err error) {
	if errors.Is(err, context.Canceled) && b.ctx.Err() != nil {
		return // shutting down
	}
	msg := userError(err)
	b.log.Error("command failed", "event", t.Kind.String()+"_failed", "topic", topic, "err", err)
	b.logToMQTT("error", fmt.Sprintf("Publish '%s' to '%s' failed: '%s'", t.Kind, t.Target, msg))
	b.publishEvent("command_failed", map[string]any{"topic": topic, "command": t.Kind.String(), "target": t.Target, "error": msg})
}

// userError renders an error for MQTT clients: without package prefixes,
// unknown devices in Zigbee2MQTT's words.
func userError(err error) string {
	if ue, ok := errors.AsType[*hub.UnknownDeviceError](err); ok {
		s := fmt.Sprintf("Device '%s' does not exist", ue.Name)
		if ue.Suggestion != "" {
			s += fmt.Sprintf(" (did you mean '%s'?)", ue.Suggestion)
		}
		return s
	}
	s := err.Error()
	for _, p := range []string{"mqttbridge: ", "hub: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}
