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
// as an endpoint ("plug/l2", "plug/2"). It returns the friendly name. The
// bridge's own name table answers first (no copy of the device); the hub
// answers for addresses, names it does not know yet, and errors.
func (b *Bridge) resolveTarget(target string) (string, string, error) {
	if m := b.metaByName(target); m != nil {
		return m.name, "", nil
	}
	d, err := b.h.Device(target)
	if err == nil {
		return d.FriendlyName, "", nil
	}
	i := strings.LastIndexByte(target, '/')
	if i <= 0 || !errors.Is(err, hub.ErrUnknownDevice) {
		return "", "", err
	}
	name := ""
	if m := b.metaByName(target[:i]); m != nil {
		name = m.name
	} else if d, err2 := b.h.Device(target[:i]); err2 == nil {
		name = d.FriendlyName
	}
	if name == "" {
		return "", "", err
	}
	ep := target[i+1:]
	if ep != "" && ep[0] >= '0' && ep[0] <= '9' {
		ep = "l" + ep // endpoint numbers name the hub's "l<N>" endpoints
	}
	return name, ep, nil
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
	err := b.execCommand(t, topic, payload)
	if err != nil {
		b.commandFailed(t, topic, err)
	}
	if b.cfg.OnCommand != nil {
		b.cfg.OnCommand(topic, time.Since(start), err)
	}
}

func (b *Bridge) execCommand(t Topic, topic string, payload []byte) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.CommandTimeout)
	defer cancel()
	if b.groupNamed(t.Target) {
		return b.execGroupCommand(ctx, t, topic, t.Target, payload)
	}
	name, ep, err := b.resolveTarget(t.Target)
	if err != nil {
		if g, ok := b.groupTarget(t.Target); ok && errors.Is(err, hub.ErrUnknownDevice) {
			return b.execGroupCommand(ctx, t, topic, g, payload)
		}
		return err
	}
	switch t.Kind {
	case TopicSet:
		values, err := ParseSetPayload(t.Property, payload)
		if err != nil {
			return fmt.Errorf("mqttbridge: %s: %w", topic, err)
		}
		values = withEndpointKeys(values, ep)
		if b.cfg.HADiscovery {
			b.skipRedundantState(name, values, ep)
		}
		if len(values) == 0 {
			return nil
		}
		if _, err := b.h.Set(ctx, name, values); err != nil {
			return err
		}
		b.republish(name)
		b.log.Debug("set done", "event", "set_done", "device", name, "topic", topic, "elapsed_ms", ms(time.Since(start)))
	case TopicGet:
		props, err := ParseGetPayload(t.Property, payload)
		if err != nil {
			return fmt.Errorf("mqttbridge: %s: %w", topic, err)
		}
		if ep != "" {
			for i, p := range props {
				props[i] = p + "_" + ep
			}
		}
		if _, err := b.h.Get(ctx, name, props...); err != nil {
			return err
		}
		b.republish(name)
		b.log.Debug("get done", "event", "get_done", "device", name, "topic", topic, "elapsed_ms", ms(time.Since(start)))
	}
	return nil
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
func (b *Bridge) skipRedundantState(name string, values map[string]any, ep string) {
	sfx := ""
	if ep != "" {
		sfx = "_" + ep
	}
	if !redundantOn(values, sfx) {
		return
	}
	if d, err := b.h.Device(name); err == nil && d.State["state"+sfx] == "ON" {
		delete(values, "state"+sfx)
	}
}

// redundantOn reports whether values turn a light on while setting its
// colour or colour temperature without brightness: the "state" that
// skipRedundantState drops when the light is on already.
func redundantOn(values map[string]any, sfx string) bool {
	st, ok := values["state"+sfx].(string)
	if !ok || !strings.EqualFold(st, "ON") {
		return false
	}
	_, ct := values["color_temp"+sfx]
	_, col := values["color"+sfx]
	_, bri := values["brightness"+sfx]
	return (ct || col) && !bri
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
// unknown devices and groups in Zigbee2MQTT's words.
func userError(err error) string {
	if ue, ok := errors.AsType[*hub.UnknownDeviceError](err); ok {
		s := fmt.Sprintf("Device '%s' does not exist", ue.Name)
		if ue.Suggestion != "" {
			s += fmt.Sprintf(" (did you mean '%s'?)", ue.Suggestion)
		}
		return s
	}
	if ue, ok := errors.AsType[*hub.UnknownGroupError](err); ok {
		s := fmt.Sprintf("Group '%s' does not exist", ue.Name)
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
