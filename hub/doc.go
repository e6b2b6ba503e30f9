// Package hub is zhub's domain: devices, their interview, capabilities
// ("exposes", derived generically from clusters), live state, typed
// actions, friendly names, availability and permit-join sessions, over a
// zigbee.Coordinator.
//
// The hub knows nothing of MQTT, MCP, WebSocket, LLMs, SQL or TOML. Front
// doors (hub/mqttbridge, mcp, ws, hub/localapi) call its methods and
// subscribe to its event bus; cmd/zhub wires it to a coordinator and to the
// store through the Store interface declared here.
//
// # API
//
//	h, err := hub.New(hub.Config{Coordinator: drv, Store: st, Logger: log})
//	go h.Run(ctx)                     // consumes coordinator events until ctx ends
//	<-h.Ready()                       // registry loaded from the store
//	sub := h.Subscribe(256)           // events: StateChanged, InterviewProgress, ...
//	h.Devices(); h.Device("kitchen_light"); h.Status()
//	h.Set(ctx, "kitchen_light", map[string]any{"state": "ON", "brightness": 120, "transition": 2})
//	h.Get(ctx, "bedroom_sensor", "temperature")
//	h.Rename(ctx, "0x000b57fffea1c002", "kitchen_light")
//	h.Remove(ctx, "kitchen_light", false)
//	h.Interview(ctx, "kitchen_light")
//	h.Configure(ctx, "kitchen_light") // binds and reporting again, no full interview
//	h.NetworkMap(ctx)                 // every router's neighbour table (Mgmt_Lqi)
//	h.PermitJoin(ctx, 120*time.Second, "")
//	h.History(ctx, "bedroom_sensor", "temperature", from, to, 0)
//	h.Backup(ctx); h.Restore(ctx, b)
//	h.AddGroup(ctx, "living_room", 0)  // 0: the lowest free group id
//	h.AddGroupMember(ctx, "living_room", "kitchen_light", 0)
//	h.SetGroup(ctx, "living_room", map[string]any{"state": "ON", "brightness": 100})
//	h.Groups(); h.Group("living_room"); h.RenameGroup(ctx, "living_room", "lounge")
//	h.RemoveGroupMember(ctx, "lounge", "kitchen_light", 0); h.RemoveFromAllGroups(ctx, "kitchen_light", 0)
//	h.RemoveGroup(ctx, "lounge", false)
//
// Names: a device is addressed by its friendly name or its IEEE address
// ("0x" and 16 hex digits, any case). New devices are named by their
// address. Names are unique (among devices and groups) and must suit MQTT topics (no "+" or "#", no
// empty levels, not "bridge"); "/" makes folders as in Zigbee2MQTT.
//
// # Zigbee2MQTT compatibility
//
// Property names, units and value forms are Zigbee2MQTT's
// (docs/interfaces.md §A.2, §A.3, §A.6): state "ON"/"OFF"/"TOGGLE",
// brightness 0–254, color_temp in mireds, color {x,y} / {hue,saturation},
// temperature °C, humidity %, pressure hPa, illuminance lx, battery %,
// voltage mV (battery) or V (mains), power W, energy kWh, current A,
// position % (100 = open), contact true = closed, linkquality 0–255.
// Definition.Exposes uses the exposes model with the same access bits, so
// the MQTT bridge can publish bridge/devices and Home Assistant discovery
// from it directly. Device state maps are the state payloads.
//
// # Capabilities
//
// Exposes are derived from the clusters of the simple descriptors and a
// few attributes read during the interview (colour capabilities and range,
// IAS zone type, metering and electrical multipliers and divisors): On/Off
// with Level or Color Control, or a light device id, is a light; On/Off
// alone a switch; Window Covering a cover; Door Lock a lock; Thermostat a
// climate; Fan Control a fan; measurement clusters give sensors; IAS Zone
// gives contact, water_leak, occupancy, smoke, gas or vibration by zone
// type, with tamper and battery_low; Power Configuration gives battery
// and voltage on devices that are not mains powered; a remote's client
// clusters give action. A property present on several endpoints gets the
// suffix "_l<endpoint>". A small table of quirks (quirks.go) adjusts a
// handful of models whose clusters mislead, each entry citing its source.
//
// # Interview
//
// When an unknown device joins or announces itself, or a device whose
// interview is not SUCCESSFUL sends anything, the hub interviews it in the
// background (at most Config.MaxInterviews at once): node descriptor,
// active endpoints, simple descriptors, Basic attributes, the attributes
// capabilities depend on, bind to the coordinator (and IAS enrolment),
// configure reporting with Zigbee2MQTT's intervals, then a first read of
// the state. Every step is published as InterviewProgress and stored, so
// a restarted hub continues where it stopped; a step is tried
// Config.InterviewAttempts times with doubling waits. A failed interview is
// kept with its error and resumes when the device next sends anything
// (sleepy devices are reachable only then), at most every
// Config.InterviewRetryAfter; Interview re-runs it on demand.
//
// # Event bus
//
// Subscribe returns a channel of events in the order they happened
// (state changes of one device are in the order the device sent them).
// Publishing never blocks: a subscriber whose buffer is full loses the
// event, counted by Subscription.Dropped and Status.EventsDropped, so a
// slow consumer can never hold up the radio. A consumer that sees drops
// should re-read Devices. Maps inside events are shared and read-only.
// Subscriptions close when Run returns.
//
// # State and persistence
//
// Attribute reports, read responses and IAS notifications update the
// state cache, publish StateChanged (only for values that changed; an
// action is published every time and not kept) and mark the device for
// persistence. A persister goroutine writes the changed states, registry
// records and history points every Config.FlushInterval (registry changes
// at once); the radio path only marks maps. History is bounded to
// Config.HistoryRate points per device property per second (a burst keeps
// its last value) and Config.MaxPendingHistory unwritten points; beyond
// that points are dropped and counted (Status.HistoryDropped). Rename,
// Remove and Sync return once the store has the change. Run writes what is
// pending before it returns.
//
// # Actions
//
// Set validates values against the device's exposes before anything is
// sent (*PropertyError), sends each ZCL command and waits for the device's
// answer, then for the new values — reported by the device meanwhile, else
// read back — and returns what the device reports, not what was asked.
// Errors say what happened: *CommandError with ErrTimeout, ErrNotDelivered
// (the coordinator's status, e.g. MAC_NO_ACK or NWK_NO_ROUTE),
// ErrRejected (the ZCL status) or ErrNotRunning, joined with
// ErrDeviceOffline when availability tracking had marked the device
// offline. Unknown devices are *UnknownDeviceError with a suggestion.
//
// # Groups
//
// A group is a Zigbee group id (1–MaxGroupID) with a friendly name and
// member device endpoints; names are unique across devices and groups and
// never read as a group id or an IEEE address, so Group accepts either a
// name or an id. Membership lives in the devices: AddGroupMember sends
// ZCL Add Group to the endpoint (the first with the Groups cluster by
// default) and records the member only once the device confirmed;
// RemoveGroupMember, RemoveFromAllGroups and RemoveGroup send Remove
// Group or Remove All Groups first, and a device that does not answer
// fails the call (RemoveGroup with force removes the group anyway).
// SetGroup validates values as Set does, against the union of the
// members' properties on their member endpoints, and sends each ZCL
// command once, as a groupcast: every member switches at the same time.
// Nothing confirms a groupcast, so SetGroup returns the values applied
// and sets the group's and the members' states optimistically; the
// devices' reports correct the members. A group's "state" follows its
// members as in Zigbee2MQTT: ON while any member is on. GroupsChanged
// follows every change of the groups or their members (a member device
// renamed or removed included), GroupStateChanged every change of a
// group's state. Groups are stored by a Store that implements GroupStore,
// before the call that changed them returns; a removed device leaves its
// groups. A group's state is not stored: after a restart it is empty
// until the group is set or a member's on/off changes.
//
// # Availability
//
// Zigbee2MQTT's defaults: a mains-powered device silent for
// Config.ActiveTimeout (10 min) is pinged (a read of Basic zclVersion, two
// tries) and marked offline if it does not answer; a battery device silent
// for Config.PassiveTimeout (25 h) is marked offline, never pinged. Any
// message brings a device back. AvailabilityChanged reports both ways.
//
// # Concurrency
//
// Run owns every goroutine the hub starts (the event loop, interviews,
// pings, the persister, the responder) and waits for them before it
// returns. All methods are safe for concurrent use. The radio path (the
// coordinator's event stream) never waits for the store, a subscriber or
// the network: answers a device is owed (default responses, IAS enrol
// responses) are sent by a separate goroutine.
package hub
