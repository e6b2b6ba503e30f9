// Package hub is zhub's domain: devices, their interview, capabilities
// ("exposes", derived generically from clusters), live state, typed
// actions, friendly names, availability and permit-join sessions, over a
// zigbee.Coordinator.
//
// The hub knows nothing of MQTT, MCP, WebSocket, LLMs, SQL or TOML. Front
// doors (hub/mqttbridge, mcp, ws, hub/localapi) call its methods and
// subscribe to its event bus; cmd/zhub wires it to a coordinator and to the
// store through the Store interface declared here.
package hub
