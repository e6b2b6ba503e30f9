// Package zdo encodes and decodes Zigbee Device Profile (ZDP) messages: the
// device and service discovery, binding and network management requests
// and responses carried on profile 0, endpoint 0.
//
// A ZDP frame is a transaction sequence number followed by a payload whose
// layout depends on the cluster. Encode and Decode handle whole frames;
// each message type has AppendTo and a ParseXxx function for the payload
// after the TSN. Requests have clusters below 0x8000, and a response's
// cluster is its request's with bit 15 set (ResponseCluster).
//
// Both directions are implemented for every message, because the hub
// sends requests and decodes responses while the emulated network
// (zigbee/sim) does the reverse.
//
// Contracts:
//
//   - Pure codecs: no I/O, no goroutines, no logging; safe for concurrent
//     use.
//   - Decoders never panic (fuzzed); failures are a *DecodeError wrapping
//     ErrTruncated, ErrBadLength, ErrBadValue or ErrUnknownCluster, and a
//     failed DecodePayload returns a nil Message.
//   - Decoders ignore bytes after the last field, because later Zigbee
//     revisions append fields and TLVs (R23). Reserved bits are dropped on
//     decode and sent as zero, so re-encoding a decoded message yields the
//     same bytes up to trailing data and reserved bits.
//   - Optional fields follow the spec: NWK_addr_rsp/IEEE_addr_rsp send
//     NumAssocDev only for extended requests and StartIndex only when it is
//     followed by addresses; descriptors follow only a success status.
//   - Z-Stack's MT callbacks (ZDO_NODE_DESC_RSP etc.) carry a source
//     address and then the ZDP payload without its TSN, so DecodePayload
//     suits them after the address is stripped; ZDO_NWK_ADDR_RSP and
//     ZDO_IEEE_ADDR_RSP differ (StartIndex before NumAssocDev, always
//     present) and need the driver's own decoding.
//
// Reference: Zigbee specification R22 (document 05-3474-22) §2.4.3
// (client services), §2.4.4 (server services), §2.4.5 (status values);
// §2.3.2 for the node, power and simple descriptors.
package zdo
