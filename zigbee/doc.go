// Package zigbee holds the types every Zigbee layer of zhub shares: addresses,
// PAN ids, channels, APS frames, the Coordinator contract with its events,
// the Open Coordinator Backup format, and opening the serial (or TCP) link to
// a coordinator.
//
// It knows nothing of the hub: drivers (zigbee/znp, zigbee/ezsp) implement
// Coordinator, the emulated network (zigbee/sim) sits behind a driver, and
// the codecs (zigbee/zcl, zigbee/zdo) build on these types.
//
// Concurrency contract for a Coordinator: Run owns the link and every
// goroutine the driver starts; the other methods may be called from any
// goroutine while Run is active and fail with ErrNotRunning or ErrNetworkDown
// otherwise. Events are delivered in the order the coordinator reported them
// on the channel returned by Events, which is closed when Run returns.
package zigbee
