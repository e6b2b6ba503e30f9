package zigbee

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors shared by every coordinator driver. Drivers wrap them with the
// operation and the firmware's own status, so callers match with errors.Is.
var (
	// ErrNotRunning means the driver's Run loop is not active.
	ErrNotRunning = errors.New("coordinator not running")
	// ErrNetworkDown means the link to the coordinator is lost or the
	// network is not up yet; the driver is reconnecting.
	ErrNetworkDown = errors.New("zigbee network is down")
	// ErrDeliveryFailed means the coordinator reported that a frame was not
	// delivered (no ACK, no route, expired for a sleepy child, ...).
	ErrDeliveryFailed = errors.New("delivery failed")
	// ErrTimeout means no answer arrived in time.
	ErrTimeout = errors.New("timed out")
	// ErrCoordinatorReset means the coordinator reset while a request was in flight.
	ErrCoordinatorReset = errors.New("coordinator reset")
	// ErrUnsupported means the firmware does not support the operation.
	ErrUnsupported = errors.New("not supported by this coordinator firmware")
)

// StatusError carries a non-success status reported by the coordinator or
// a remote device, with the stack's name for it.
type StatusError struct {
	Op     string // e.g. "AF_DATA_CONFIRM"
	Code   uint8
	Name   string // e.g. "MAC_NO_ACK"
	Reason error  // a sentinel such as ErrDeliveryFailed, or nil
}

func (e *StatusError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("%s: status 0x%02X", e.Op, e.Code)
	}
	return fmt.Sprintf("%s: %s (0x%02X)", e.Op, e.Name, e.Code)
}

func (e *StatusError) Unwrap() error { return e.Reason }

// Firmware describes the coordinator's firmware.
type Firmware struct {
	Stack    string // "zstack" or "ember"
	Product  string // e.g. "Z-Stack 3.x.0", "EmberZNet 7.4.3"
	Revision string // e.g. "20230507"
	Protocol string // e.g. "MT", "EZSP v13"
}

// NetworkInfo is the network the coordinator runs.
type NetworkInfo struct {
	Channel      Channel
	PANID        PANID
	ExtPANID     ExtPANID
	IEEE         IEEE // the coordinator's own address
	NWK          NWK
	UpdateID     uint8
	ChannelMask  ChannelMask
	FrameCounter uint32
	Firmware     Firmware
	// Formed is true when Start formed a new network rather than resuming one.
	Formed bool
}

// NetworkConfig is what the configuration asks for. Zero fields are
// generated (PAN ids, key) or defaulted (channel 11).
type NetworkConfig struct {
	Channel  Channel
	PANID    PANID    // 0 = generate
	ExtPANID ExtPANID // 0 = generate
	Key      NetworkKey
	// GenerateKey means a fresh random key when forming; Key must then be zero.
	GenerateKey bool
	// ForceForm re-forms the network even when the coordinator has one.
	ForceForm bool
}

// Coordinator is a Zigbee coordinator behind a driver. See the package doc
// for the concurrency contract.
type Coordinator interface {
	// Run opens the link, starts or forms the network, delivers events and
	// reconnects after link loss until ctx is cancelled. It returns nil on
	// cancellation and an error only when it cannot go on at all.
	Run(ctx context.Context) error
	// Events returns the event stream; it is closed when Run returns.
	Events() <-chan Event
	// Info returns the current network and whether it is up.
	Info() (NetworkInfo, bool)
	// PermitJoin opens the network for joining for d (0 closes it). via
	// restricts joining to one router; NWKBroadcastRouter or 0 means all
	// routers and the coordinator.
	PermitJoin(ctx context.Context, d time.Duration, via NWK) error
	// Send transmits an APS frame and waits for the coordinator's delivery
	// confirmation (for unicasts with TxAckRequest, the APS ACK).
	Send(ctx context.Context, f APSFrame) error
	// ZDORequest sends a ZDO request (cluster, raw ZDP payload starting with
	// the transaction sequence number) to dst and waits for the response
	// cluster (cluster|0x8000) from that device; it returns the raw response
	// payload.
	ZDORequest(ctx context.Context, dst NWK, cluster ClusterID, payload []byte) ([]byte, error)
	// Backup reads the network parameters and keys from the coordinator.
	Backup(ctx context.Context) (*Backup, error)
	// Restore writes a backup to the coordinator and restarts the network
	// from it.
	Restore(ctx context.Context, b *Backup) error
}

// Event is something the coordinator reported. It is one of the types below.
type Event interface{ isEvent() }

// NetworkUp reports that the network is running (after start, form or reconnect).
type NetworkUp struct{ Info NetworkInfo }

// NetworkDown reports that the link or the network is lost; the driver retries.
type NetworkDown struct{ Err error }

// DeviceJoined reports a trust-center join (the device got the network key).
type DeviceJoined struct {
	NWK    NWK
	IEEE   IEEE
	Parent NWK
}

// DeviceAnnounced reports a ZDO device announce (new join or rejoin).
type DeviceAnnounced struct {
	NWK          NWK
	IEEE         IEEE
	Capabilities uint8 // MAC capability flags
}

// DeviceLeft reports that a device left the network.
type DeviceLeft struct {
	NWK    NWK
	IEEE   IEEE
	Rejoin bool
}

// MessageReceived carries an incoming APS message.
type MessageReceived struct{ Message Message }

// RouteChanged reports a route or link change the coordinator learned (e.g.
// a source route record).
type RouteChanged struct {
	Dst   NWK
	Relay []NWK
}

// PermitJoinChanged reports that joining opened or closed.
type PermitJoinChanged struct {
	Open     bool
	Duration time.Duration
}

func (NetworkUp) isEvent()         {}
func (NetworkDown) isEvent()       {}
func (DeviceJoined) isEvent()      {}
func (DeviceAnnounced) isEvent()   {}
func (DeviceLeft) isEvent()        {}
func (MessageReceived) isEvent()   {}
func (RouteChanged) isEvent()      {}
func (PermitJoinChanged) isEvent() {}
