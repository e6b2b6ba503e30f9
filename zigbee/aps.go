package zigbee

import (
	"fmt"
	"time"
)

// AddrMode says how an APS frame is addressed.
type AddrMode uint8

// Address modes, with the values Z-Stack's AF layer uses (znp.md §5.3).
const (
	AddrNotPresent AddrMode = 0
	AddrGroup      AddrMode = 1
	AddrNWK        AddrMode = 2
	AddrIEEE       AddrMode = 3
	AddrBroadcast  AddrMode = 15
)

// Address is the destination of an APS frame.
type Address struct {
	Mode  AddrMode
	NWK   NWK    // AddrNWK and AddrBroadcast (one of the 0xFFFx addresses)
	IEEE  IEEE   // AddrIEEE
	Group uint16 // AddrGroup
}

// Unicast returns a short-address destination.
func Unicast(nwk NWK) Address { return Address{Mode: AddrNWK, NWK: nwk} }

// Groupcast returns a group destination.
func Groupcast(group uint16) Address { return Address{Mode: AddrGroup, Group: group} }

// Broadcast returns a broadcast destination (one of the NWKBroadcast* addresses).
func Broadcast(to NWK) Address { return Address{Mode: AddrBroadcast, NWK: to} }

func (a Address) String() string {
	switch a.Mode {
	case AddrGroup:
		return fmt.Sprintf("group 0x%04X", a.Group)
	case AddrIEEE:
		return a.IEEE.String()
	case AddrBroadcast:
		return "broadcast " + a.NWK.String()
	}
	return a.NWK.String()
}

// TxOptions are APS transmit options.
type TxOptions uint8

// Transmit options (Z-Stack AF_DATA_REQUEST bit values).
const (
	TxAckRequest    TxOptions = 0x10 // APS acknowledgement requested
	TxDiscoverRoute TxOptions = 0x20
	TxSecurity      TxOptions = 0x40 // APS-layer encryption
	TxSkipRouting   TxOptions = 0x80
)

// DefaultRadius is the maximum hop count used when a frame leaves it zero.
const DefaultRadius = 30

// APSFrame is an application (APS) message to send.
type APSFrame struct {
	Dst         Address
	DstEndpoint Endpoint
	SrcEndpoint Endpoint
	Profile     ProfileID
	Cluster     ClusterID
	Radius      uint8 // 0 = DefaultRadius
	Options     TxOptions
	Payload     []byte
}

func (f APSFrame) String() string {
	return fmt.Sprintf("to %v ep %d cluster %v (%d bytes)", f.Dst, f.DstEndpoint, f.Cluster, len(f.Payload))
}

// Message is an APS message received from the network.
type Message struct {
	Src          NWK
	SrcEndpoint  Endpoint
	DstEndpoint  Endpoint
	Profile      ProfileID
	Cluster      ClusterID
	Group        uint16 // non-zero when sent to a group
	WasBroadcast bool
	LQI          uint8
	RSSI         int8 // dBm, 0 when the coordinator does not report it
	Received     time.Time
	Payload      []byte
}
