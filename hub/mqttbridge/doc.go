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
// # Zigbee groups
//
// <base>/bridge/groups (retained) lists the hub's groups in Zigbee2MQTT's
// shape; it is published on connect and after every hub.GroupsChanged. A
// group's state is published on <base>/<group name> (retained when
// Config.Retain) on every hub.GroupStateChanged and after each /set;
// <base>/<group>/availability is online while a member device is. A /set
// on a group goes to hub.SetGroup (each ZCL command sent once, as a
// groupcast) with the same parsing and failure reporting as a device's;
// /get on a group is refused. The requests group/add, group/remove,
// group/rename and group/members/add, remove and remove_all answer as
// Zigbee2MQTT's do. Discovery gives a group with members a light (when a
// member exposes one) or a switch, under node id <base character
// codes>_<id> and device identifier zigbee2mqtt_<base character
// codes>_<id> as Zigbee2MQTT does, listing the members' own entities in
// its "group" field; a removed group's topics are cleared, a renamed
// group's old state topic too.
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
// The bridge never blocks the hub: one goroutine drains the hub's event
// subscription into an outbox holding the newest unpublished state of each
// changed device, in the order devices changed (a burst collapses into a
// device's newest state; actions are never collapsed). Four publishers,
// each owning a share of the devices, drain it, so one device's messages
// stay in order. QoS 0 messages (states, events, bridge/info and
// bridge/devices) are written straight onto the connection paho opened
// (once paho's session on it is up), batched per system call; QoS 1
// messages (bridge/state, availability, discovery) go through paho. If
// the hub's subscription ever overflows, the bridge re-reads every device.
//
// On TCP and TLS connections the bridge also reads the messages it
// subscribed to off paho's connection itself (paho reads everything else:
// CONNACK, SUBACK, its own acknowledgements, PINGRESP), in the order the
// broker sent them, and acknowledges QoS 1 and 2 itself: paho's chain of
// goroutines between the socket and its handler was most of a /set's
// latency. Commands for one target run in arrival order, on a small pool
// of goroutines kept warm between commands; commands for different
// targets run concurrently; requests run concurrently (bounded) and are
// correlated by their transaction. A command that fails, or that arrives
// while the coordinator is down, is reported — bridge/response for
// requests; an error log, a bridge/logging line and a bridge/event
// "command_failed" for /set and /get — never dropped silently. After a
// successful /set or /get the device's state is published even when
// nothing changed, as Zigbee2MQTT does.
//
// # Embedded broker
//
// Broker wraps mochi-mqtt: it listens on a socket bound by Listen (so a
// port clash is reported at once), refuses to listen beyond loopback
// without a username and password, and works around mochi-mqtt's shared
// packet-id table (see packetIDHook).
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
