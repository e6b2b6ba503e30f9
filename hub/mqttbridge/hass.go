package mqttbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// gcWait bounds the wait for the retained discovery configs at start when
// the broker does not echo the marker (it always should).
const gcWait = 5 * time.Second

// bridgeKey is the discovered-map key of the bridge's own configs.
const bridgeKey = zigbee.IEEE(0)

// discoverAll publishes every discovery config. The first time, it first
// collects the retained configs that belong to this base topic and clears
// those that no longer match an entity (a device removed while zhub was
// stopped, an entity gone after a re-interview).
func (b *Bridge) discoverAll(ctx context.Context) {
	if b.netInfo.IEEE == 0 || !b.connected.Load() {
		return // the bridge device is named by the coordinator's address
	}
	b.disc.CoordinatorIEEE = b.netInfo.IEEE.String()
	var stale map[string][]byte
	if !b.gcDone {
		var ok bool
		stale, ok = b.collectRetained(ctx)
		if !ok {
			return // connection failing; we come back on the next connect
		}
		b.gcDone = true
	}
	info := BridgeInfo{CoordinatorType: coordinatorType(b.netInfo), Revision: b.netInfo.Firmware.Revision}
	for _, m := range b.disc.Bridge(info) {
		b.publishDiscovery(bridgeKey, m)
	}
	for _, d := range b.h.Devices() {
		b.discoverDevice(d)
	}
	b.discoverGroups()
	if stale == nil {
		return
	}
	devs := map[string]hub.Device{}
	for _, d := range b.h.Devices() {
		devs[d.IEEE.String()] = d
	}
	cleared := 0
	for topic, payload := range stale {
		if b.isCurrent(topic) {
			continue
		}
		// Device triggers are published lazily: keep those of existing
		// devices that still point at the device's topic.
		if parts := strings.Split(topic, "/"); len(parts) == 5 && parts[1] == "device_automation" {
			if d, ok := devs[parts[2]]; ok && strings.HasPrefix(parts[3], "action_") {
				var p struct{ Topic string }
				if json.Unmarshal(payload, &p) == nil && p.Topic == b.Topic(d.FriendlyName+"/action") {
					b.rememberTrigger(d.IEEE, strings.TrimPrefix(parts[3], "action_"), topic, string(payload))
					continue
				}
			}
		}
		b.retained(topic, nil)
		cleared++
	}
	if cleared > 0 {
		b.log.Info("stale discovery configs cleared", "event", "discovery_cleared", "count", cleared)
	}
}

func (b *Bridge) isCurrent(topic string) bool {
	for _, m := range b.discovered {
		if _, ok := m[topic]; ok {
			return true
		}
	}
	return b.isGroupConfig(topic)
}

// collectRetained subscribes to the discovery prefix, gathers the retained
// configs that belong to this base topic, and stops at a marker message
// it publishes itself: the broker sends retained messages on subscribe
// before anything published later, so the marker arriving means all of
// them have.
func (b *Bridge) collectRetained(ctx context.Context) (map[string][]byte, bool) {
	filter := b.cfg.HADiscoveryPrefix + "/#"
	token := fmt.Sprintf("%s/zhub_sync/%s_%08x", b.cfg.HADiscoveryPrefix, b.cfg.ClientID, rand.Uint32())
	ch := make(chan struct{})
	b.gcMu.Lock()
	b.gcActive, b.stale, b.syncCh, b.syncTok = true, map[string][]byte{}, ch, token
	b.gcMu.Unlock()
	defer func() {
		b.gcMu.Lock()
		b.gcActive, b.syncCh = false, nil
		b.gcMu.Unlock()
	}()
	if err := b.wait(ctx, b.client.Subscribe(filter, 1, nil)); err != nil {
		b.log.Warn("mqtt subscribe failed", "event", "mqtt_subscribe_failed", "topic", filter, "err", err)
		return nil, false
	}
	defer b.client.Unsubscribe(filter)
	b.publish(token, 1, false, nil)
	timer := time.NewTimer(gcWait)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		b.log.Warn("no echo of the discovery marker; clearing what arrived", "event", "discovery_marker_timeout")
	case <-ctx.Done():
		return nil, false
	}
	b.gcMu.Lock()
	stale := b.stale
	b.stale = nil
	b.gcMu.Unlock()
	return stale, true
}

// gcMessage records a retained discovery config seen during collection
// (called from paho's handler).
func (b *Bridge) gcMessage(topic string, payload []byte) {
	b.gcMu.Lock()
	defer b.gcMu.Unlock()
	if !b.gcActive {
		return
	}
	if topic == b.syncTok {
		if b.syncCh != nil {
			close(b.syncCh)
			b.syncCh = nil
		}
		return
	}
	if len(payload) == 0 || !strings.HasSuffix(topic, "/config") || !b.ownsConfig(topic, payload) {
		return
	}
	b.stale[topic] = append([]byte(nil), payload...)
}

// ownsConfig reports whether a retained config was published for this
// base topic (Zigbee2MQTT's test: its first availability topic, or a
// trigger's topic, is under the base).
func (b *Bridge) ownsConfig(topic string, payload []byte) bool {
	var p struct {
		Topic        string `json:"topic"`
		Availability []struct {
			Topic string `json:"topic"`
		} `json:"availability"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return false
	}
	prefix := b.base + "/"
	if strings.HasPrefix(topic, b.cfg.HADiscoveryPrefix+"/device_automation/") {
		return strings.HasPrefix(p.Topic, prefix)
	}
	if len(p.Availability) > 0 {
		return strings.HasPrefix(p.Availability[0].Topic, prefix)
	}
	// The bridge's connection state sensor has no availability list.
	return strings.Contains(topic, "/"+b.disc.encodedBase()+"_")
}

// discoverDevice publishes a device's configs and clears those it no
// longer has.
func (b *Bridge) discoverDevice(d hub.Device) {
	if !b.cfg.HADiscovery || b.disc.CoordinatorIEEE == "" || !b.connected.Load() {
		return
	}
	msgs, _ := b.disc.Device(d)
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.Topic] = true
		b.publishDiscovery(d.IEEE, m)
	}
	for topic := range b.discovered[d.IEEE] {
		if !seen[topic] && !strings.Contains(topic, "/device_automation/") {
			b.retained(topic, nil)
			delete(b.discovered[d.IEEE], topic)
		}
	}
}

// publishDiscovery publishes a config unless the same one was published.
func (b *Bridge) publishDiscovery(ieee zigbee.IEEE, m DiscoveryMessage) {
	payload := m.JSON()
	known := b.discovered[ieee]
	if known == nil {
		known = map[string]uint64{}
		b.discovered[ieee] = known
	}
	h := hash(payload)
	if old, ok := known[m.Topic]; ok && old == h {
		return
	}
	known[m.Topic] = h
	b.retained(m.Topic, payload)
}

// clearDiscovery clears every config of a device (removal, rename with
// homeassistant_rename).
func (b *Bridge) clearDiscovery(ieee zigbee.IEEE) {
	for topic := range b.discovered[ieee] {
		if b.connected.Load() {
			b.retained(topic, nil)
		}
	}
	delete(b.discovered, ieee)
	delete(b.triggers, ieee)
}

// clearDevice clears everything retained about a removed device.
func (b *Bridge) clearDevice(ieee zigbee.IEEE, name string) {
	b.clearDiscovery(ieee)
	if b.connected.Load() {
		b.retained(b.Topic(name), nil)
		b.retained(b.Topic(name+"/availability"), nil)
	}
}

func (b *Bridge) rememberTrigger(ieee zigbee.IEEE, value, topic, payload string) {
	if b.triggers[ieee] == nil {
		b.triggers[ieee] = map[string]bool{}
	}
	b.triggers[ieee][value] = true
	if b.discovered[ieee] == nil {
		b.discovered[ieee] = map[string]uint64{}
	}
	b.discovered[ieee][topic] = hash([]byte(payload))
}

// ensureTrigger publishes the device trigger of an action value the first
// time it is seen.
func (b *Bridge) ensureTrigger(ieee zigbee.IEEE, value string) {
	if b.triggers[ieee][value] || b.disc.CoordinatorIEEE == "" || !b.connected.Load() {
		return
	}
	d, err := b.h.Device(ieee.String())
	if err != nil {
		return
	}
	m := b.disc.Trigger(d, value)
	b.publishDiscovery(ieee, m)
	if b.triggers[ieee] == nil {
		b.triggers[ieee] = map[string]bool{}
	}
	b.triggers[ieee][value] = true
}

// onHABirth: Home Assistant (re)started. After a delay (its entities must
// exist first), re-publish the configs, bridge/state and every state.
func (b *Bridge) onHABirth() {
	delay := b.birthDelay()
	b.log.Info("home assistant online; re-publishing", "event", "ha_birth", "delay_ms", ms(delay))
	time.AfterFunc(delay, func() {
		b.ctrlDo(func() {
			if !b.connected.Load() {
				return
			}
			b.discovered = map[zigbee.IEEE]map[string]uint64{}
			b.grp.disc = nil
			for ieee := range b.triggers {
				delete(b.triggers, ieee)
			}
			b.discoverAll(b.ctx)
			if b.online.Load() {
				b.retained(b.Topic("bridge/state"), []byte(`{"state":"online"}`))
			}
			b.out.markAll(b.h.Devices())
			b.republishGroupStates()
		})
	})
}

// hash identifies a published payload (kept instead of the payload: a
// config is about a kilobyte, and there are several per device).
func hash(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}
