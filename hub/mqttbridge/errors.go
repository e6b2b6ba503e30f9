package mqttbridge

import "errors"

// Errors of the bridge. Errors returned by this package start with
// "mqttbridge: " and wrap at most one of these; request errors published on
// bridge/response carry the message without the prefix, as Zigbee2MQTT's do.
var (
	// ErrInvalidPayload: a request or command payload is not what the
	// topic accepts (bad JSON, a missing field, a value of the wrong type).
	ErrInvalidPayload = errors.New("invalid payload")
	// ErrInvalidTopic: a topic is not one the bridge serves or cannot
	// publish (a wildcard in a friendly name, an empty name).
	ErrInvalidTopic = errors.New("invalid topic")
	// ErrUnknownRequest: no handler for this bridge/request name.
	ErrUnknownRequest = errors.New("unknown request")
	// ErrNotSupported: the request exists in Zigbee2MQTT but zhub does not
	// implement it (JavaScript extensions and converters, ...).
	ErrNotSupported = errors.New("not supported by zhub")
	// ErrOverloaded: the bridge's command queue is full; the command was
	// refused (and reported), not silently dropped.
	ErrOverloaded = errors.New("command queue full")
	// ErrConfig: the Config or BrokerConfig is unusable.
	ErrConfig = errors.New("invalid configuration")
)
