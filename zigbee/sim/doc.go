// Package sim is a virtual Zigbee network behind an emulated TI Z-Stack
// 3.x.0 coordinator (a CC2652-class "ZNP", firmware 2.7.1 build 20240710)
// that speaks MT over UNPI byte for byte like the real firmware. It is what
// zhub's tests and its embedded default run on, and a third-party host
// (zigbee-herdsman's zstack adapter, zigpy-znp) can form, resume and use a
// network on it.
//
// Behaviour follows shared/protocol/znp.md and the real traces in
// shared/protocol/vectors/znp/traces, not zhub's own driver. MT payloads
// are encoded here from the documented layouts rather than with the
// driver's command tables, so that a misreading shared by both cannot hide
// (a test decodes the sim's output with those tables as a cross-check);
// the UNPI framing (zigbee/znp) and the ZCL frame header (zigbee/zcl)
// codecs are reused.
//
// # Model
//
// A Network holds the coordinator's NV memory (legacy OSAL items and the
// extended tables, with Z-Stack's status codes and quirks: §8.5), the
// volatile firmware state (device state, AF endpoints, permit join, BDB
// channels) and the virtual devices. NV and devices persist in a JSON
// state file (Config.StatePath), rewritten atomically on change; a missing
// file is a factory-new dongle with a random 00:12:4b IEEE address.
// Formation (APP_CNF_BDB_START_COMMISSIONING or ZDO_STARTUP_FROM_APP)
// builds the NIB from CHANLIST/PANID/APS_USE_EXT_PANID/PRECFGKEY; resuming
// a network held in NV sends state 9 and the "network restored" BDB
// notification. SYS_RESET_REQ applies STARTUP_OPTION and answers with
// SYS_RESET_IND after Config.ResetDelay.
//
// Devices (Kind: light, dimmable, color_light, plug, th_sensor, contact,
// remote) have node/simple descriptors, Basic attributes, ZCL attribute
// storage, cluster commands, default responses, reporting (configured and
// preset change-only reports, periodic max-interval reports, sensor
// measurements every Config.SensorInterval) and a binding table. A device
// joins when its button was pressed (Press) and permit join is open:
// ZDO_TC_DEV_IND, then ZDO_END_DEVICE_ANNCE_IND. The remote is a sleepy
// end device: frames for it wait in the parent's queue until it polls
// (after a join, a Press or activity it polls fast for Config.AwakeTime)
// and expire with MAC_TRANSACTION_EXPIRED after 7.68 s.
//
// # Concurrency
//
// Run owns the firmware: one goroutine executes host frames, timers and
// API calls strictly in order, so the one-SREQ-at-a-time rule of MT holds
// and every SRSP precedes the AREQs it causes. Exported methods are safe
// for concurrent use while Run is active; those that wait block until the
// loop has handled them and fail with ErrStopped after Run returned. Each
// link has one pump goroutine writing to the host (paced at Config.Baud);
// a host that stops reading loses frames rather than stalling the firmware.
//
// # Front ends
//
// OpenZNP returns an in-process io.ReadWriteCloser, ServePTY a
// pseudo-terminal linked at a path, ServeTCP a TCP listener. All links
// share the one UART: every attached link receives the dongle's output.
//
// # Trace format
//
// With Config.Trace set, every frame is written as one line:
//
//	<unix-micros> > HEX    host → dongle, stamped when its last byte arrived
//	<unix-micros> < HEX    dongle → host, stamped when written
//	<unix-micros> # text   bytes that are not a frame: "garbage HEX",
//	                       "bad-fcs HEX", "bad-length HEX", "injected HEX"
//
// # Fault hooks
//
// DropResponse, DelayResponse, CorruptFrames, InjectRaw, FailConfirms,
// Reset (watchdog reset losing in-flight requests), Unplug and Replug.
package sim
