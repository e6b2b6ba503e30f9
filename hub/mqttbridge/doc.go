// Package mqttbridge is zhub's MQTT front door: the Zigbee2MQTT 2.x MQTT
// API, Home Assistant MQTT discovery, and an embedded broker.
//
// # Topics (interfaces.md §A)
//
// Under a base topic (zhub's default "zhub"; "zigbee2mqtt" keeps an
// existing Zigbee2MQTT install's automations working):
//
//   - <base>/<friendly_name>: the device's full cached state as JSON, on
//     every change (retained when Config.Retain); light and cover
//     sub-states of multi-endpoint devices also on <name>/<endpoint>.
//   - <base>/<name>[/<endpoint>]/set[/<property>] and .../get: commands,
//     parsed by ParseTopic, ParseSetPayload and ParseGetPayload.
//   - <base>/<name>/availability: {"state":"online"|"offline"}, retained.
//   - <base>/bridge/state: {"state":"online"} retained QoS 1, published
//     only once the coordinator's network is up AND every subscription is
//     acknowledged, so a request sent right after "online" is never lost;
//     {"state":"offline"} as the last will, on a clean stop, and while the
//     network is down.
//   - <base>/bridge/info, bridge/devices (retained), bridge/event,
//     bridge/logging, and bridge/request/<name> → bridge/response/<name>
//     with the request's "transaction" echoed.
//
// # Home Assistant discovery (interfaces.md §B)
//
// Discovery renders each device's exposes (hub.Expose) into
// <prefix>/<component>/<ieee>/<object_id>/config payloads with Zigbee2MQTT
// 2.x's object ids, unique ids (<ieee>_<object_id>_<base>) and device
// identifiers (zigbee2mqtt_<ieee>), so a Home Assistant that knew the
// devices through Zigbee2MQTT keeps its entities, history and dashboards
// when the base topic is the same. Stale configs found retained at start
// are cleared; configs are re-published when Home Assistant's birth
// message arrives and cleared when a device is removed.
//
// # Ordering and back-pressure
//
// The bridge never blocks the hub: it drains its event subscription into
// a per-device "latest state" table, and a publisher goroutine sends the
// newest state of each changed device (coalescing bursts; actions are
// never coalesced). Commands for one device run in arrival order; commands
// for different devices run concurrently. A command that fails, or that
// arrives while the coordinator is down, is reported (bridge/response for
// requests; an error log, bridge/logging and a bridge/event
// "command_failed" for /set and /get), never dropped silently.
//
// # Lifecycle
//
// New validates a Config and does no I/O; Run connects (retrying with
// backoff), serves until its context ends, publishes "offline" and
// disconnects; every goroutine it starts has stopped when it returns.
// Broker (the embedded mochi-mqtt broker) follows the same shape. The
// mqtttest package starts a real broker for tests: mosquitto when
// installed, else the embedded one.
package mqttbridge
