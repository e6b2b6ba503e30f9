// Package rules is the offline default llm.Provider: a deterministic
// English intent grammar with no network and no model. It understands
// turning devices on, off and toggling them; dimming, brightening and
// setting a brightness in percent; warm, neutral or cool white and named
// colours; locking; questions about temperature, humidity, power, energy,
// battery, brightness, open/closed and on/off of a device or a room; how a
// value changed over a period; listing devices and rooms; what is on; and
// how to pair a new device. Several requests can be joined with "and".
//
// It behaves like a model would: it emits the same tool calls (list_devices,
// get_device {device}, set_device {device, values}, get_history {device,
// property, from, to}, list_rooms, permit_join {seconds}: the argument names
// of the MCP device tools) and answers from the tool
// results, so the loop's policy and the MCP server's validation apply to it
// exactly as to a cloud model. Values use Zigbee2MQTT's property names and
// units: state "ON"/"OFF"/"TOGGLE"/"LOCK"/"UNLOCK", brightness 0–254 (30%
// is 76), color_temp in mireds, color {"hex":"#RRGGBB"}.
//
// # Device context
//
// The provider learns the devices by calling the list_devices tool itself,
// as the first step of every request that needs them, so the chat sees only
// what the MCP device context shows it. Its result is read tolerantly: a
// JSON array, or an object with a "devices" array, of objects with
// name/friendly_name/device, aliases, room/area, type, capabilities (strings or
// objects with "property"/"name") or Zigbee2MQTT exposes, and state.
// Config.Devices may supply the list directly instead (tests, benchmarks,
// or a host without list_devices); then no list_devices call is made.
//
// Names resolve fuzzily: every word the user said must match a word of a
// device's name, alias, room or type (with typos up to one or two edits
// and light/lamp/bulb-style synonyms). One best match is used; several
// equally good ones get "Which one do you mean: …?"; none gets "I don't
// know a device called X — did you mean Y?". It never guesses. "All the
// lights" (plurals, all, every, everything) means one set_device call per
// matching device that can do what was asked.
//
// # Statelessness
//
// A Provider holds no conversation state: each Stream call re-reads the
// conversation since the last user message (its own earlier tool calls and
// their results) and decides the next step, so it is safe for concurrent
// use and deterministic: the same conversation always gives the same calls
// and text. Tool call ids are "rules_<turn>_<clause>_<n>".
package rules
