// Package zcl encodes and decodes Zigbee Cluster Library frames and holds
// the cluster library as data.
//
// Layers:
//
//   - frame.go: the ZCL header (frame control, optional manufacturer code,
//     transaction sequence number, command id) around a raw payload.
//   - types.go, value.go: every ZCL data type (ZCL §2.6) and Value, a typed
//     attribute value with accessors (Int, Uint, Float, Bool, String) and the
//     per-type non-value sentinels (IsInvalid).
//   - foundation.go: the global commands (read/write attributes, reporting
//     configuration, reports, default response, discovery).
//   - cluster.go, library.go, clusters.go: the cluster library: ids,
//     attributes with types and access, and cluster-specific commands with
//     their field lists, looked up by id or by the zigbee-herdsman camelCase
//     names ("genOnOff", "measuredValue") that zhub uses as the external
//     spelling; Command.Encode/Decode handle any command whose fields are
//     plain ZCL types.
//   - commands.go: typed payloads of the common cluster-specific commands
//     (MoveToLevel, MoveToColor, ZoneStatusChangeNotification, ...).
//
// Contracts:
//
//   - Pure codecs: no I/O, no goroutines, no logging; safe for concurrent
//     use. The cluster tables are read-only after package init.
//   - Decoders never panic on any input (fuzzed) and return a *DecodeError
//     wrapping one of the Err sentinels. Anything a decoder accepts
//     re-encodes byte for byte: fixed-width values keep their wire bits,
//     reserved frame-control bits are kept, and payload decoders reject
//     trailing bytes that their layout cannot hold.
//   - ParseFrame's Payload aliases its input; decoded Values never do.
//   - Value.String never prints a security key.
//   - Encoders do not validate: they write what they are given, truncating
//     strings and collections that are too long for their length field.
//
// References: ZCL revision 8 (Zigbee Alliance document 07-5123-08), §2.4
// frame format, §2.5 foundation commands, §2.6 data types and status codes.
package zcl
