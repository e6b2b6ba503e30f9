package mqttbridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// Hub is what the bridge uses of the hub (*hub.Hub implements it).
type Hub interface {
	Devices() []hub.Device
	Device(nameOrIEEE string) (hub.Device, error)
	Status() hub.Status
	Set(ctx context.Context, name string, values map[string]any) (map[string]any, error)
	Get(ctx context.Context, name string, props ...string) (map[string]any, error)
	Rename(ctx context.Context, from, to string) error
	Remove(ctx context.Context, name string, force bool) error
	Interview(ctx context.Context, name string) error
	Configure(ctx context.Context, name string) error
	PermitJoin(ctx context.Context, d time.Duration, via string) error
	Backup(ctx context.Context) (*zigbee.Backup, error)
	Subscribe(buffer int) *hub.Subscription

	Groups() []hub.Group
	Group(nameOrID string) (hub.Group, error)
	AddGroup(ctx context.Context, name string, id uint16) (hub.Group, error)
	RemoveGroup(ctx context.Context, name string, force bool) error
	RenameGroup(ctx context.Context, from, to string) error
	AddGroupMember(ctx context.Context, group, device string, endpoint uint8) error
	RemoveGroupMember(ctx context.Context, group, device string, endpoint uint8) error
	RemoveFromAllGroups(ctx context.Context, device string, endpoint uint8) error
	SetGroup(ctx context.Context, group string, values map[string]any) (map[string]any, error)

	NetworkMap(ctx context.Context) (hub.NetworkMap, error)
}

var _ Hub = (*hub.Hub)(nil)

// Defaults of zero Config fields.
const (
	DefaultBaseTopic       = "zhub"
	DefaultDiscoveryPrefix = "homeassistant"
	DefaultHAStatusTopic   = "homeassistant/status"
	DefaultMaxReconnect    = 10 * time.Second
	DefaultCommandTimeout  = 30 * time.Second
	DefaultMaxPending      = 10_000
	// DefaultEventBuffer is the hub subscription's capacity: a burst of
	// reports from a large network fits while the bridge drains it.
	DefaultEventBuffer = 64 * 1024
)

// Config configures a Bridge. Hub and URL are required.
type Config struct {
	Hub Hub
	// URL of the broker: mqtt://host:port (also tcp://, mqtts://, ssl://,
	// ws://, wss://).
	URL      string
	Username string
	Password string // never logged
	// ClientID; "" uses "zhub_<base topic>_<random>".
	ClientID string
	// BaseTopic (DefaultBaseTopic when empty).
	BaseTopic string
	// Retain publishes device state retained.
	Retain bool
	// HADiscovery turns Home Assistant discovery on, under
	// HADiscoveryPrefix (default "homeassistant"); HAStatusTopic is Home
	// Assistant's birth/will topic (default "homeassistant/status").
	HADiscovery       bool
	HADiscoveryPrefix string
	HAStatusTopic     string
	// HABirthDelay is the wait after Home Assistant's birth message before
	// states are re-published (its entities must exist first); zero picks
	// 2–10 s at random, as Home Assistant's documentation asks.
	HABirthDelay time.Duration
	// HARenameDelay is the wait between clearing a renamed device's configs
	// and publishing the new ones (homeassistant_rename), so that Home
	// Assistant deletes the old entities first (default 2 s).
	HARenameDelay time.Duration
	// MaxReconnect bounds the reconnect backoff (default 10 s).
	MaxReconnect time.Duration
	// CommandTimeout bounds one /set, /get or request (default 30 s).
	CommandTimeout time.Duration
	// MaxPending bounds queued commands; beyond it a command is refused
	// with an error log and event (default 10 000).
	MaxPending int
	// Version is zhub's version (bridge/info, discovery origin).
	Version string
	// OnStatus, if set, is called (from the bridge's goroutines, never
	// concurrently) when the connection or the published bridge state
	// changes: for /health.
	OnStatus func(Status)
	// OnCommand, if set, is called when a /set or /get has finished (err
	// nil on success), from the goroutine that ran it: for metrics and
	// tests that must not start a command before the previous one ended.
	OnCommand func(topic string, elapsed time.Duration, err error)
	// Logger; nil discards.
	Logger *slog.Logger
}

// Status is the bridge's connection state.
type Status struct {
	// Connected: a session with the broker is up and subscribed.
	Connected bool
	// Online: bridge/state is "online" (connected and the coordinator's
	// network is up).
	Online bool
	// Err is the last connection error (nil while connected).
	Err error
}

// Bridge connects the hub to an MQTT broker. Create it with New and run
// it with Run.
type Bridge struct {
	cfg  Config
	h    Hub
	log  *slog.Logger
	base string
	disc Discovery

	client paho.Client
	ctx    context.Context // Run's context, for commands

	connCh   chan bool      // connection up (true) / lost (false) from paho
	ctrl     chan func()    // work for the control goroutine
	reqSem   chan struct{}  // concurrent requests
	workers  sync.WaitGroup // command and request goroutines
	exec     *serial
	out      *outboxes
	stopping atomic.Bool

	connected atomic.Bool // subscribed and publishing
	// newConn is the connection paho opened last; conn the one whose
	// session is up (promoted by onConnected), used by the QoS 0 fast
	// path.
	newConn atomic.Pointer[batchConn]
	conn    atomic.Pointer[batchConn]
	online  atomic.Bool

	// Owned by the control goroutine.
	netUp      bool
	netInfo    zigbee.NetworkInfo
	permitEnd  time.Time
	lastJoined string
	started    map[zigbee.IEEE]bool              // interview "started" event sent
	discovered map[zigbee.IEEE]map[string]uint64 // topic → hash of the payload published
	triggers   map[zigbee.IEEE]map[string]bool
	gcDone     bool
	devicesDue bool // a bridge/devices publication is scheduled
	lastErr    error
	status     Status

	// Read by the publisher, written by the control goroutine.
	metaMu sync.RWMutex
	meta   map[zigbee.IEEE]*deviceMeta
	byName map[string]*deviceMeta

	grp groupView // Zigbee groups (groups.go)

	// Discovery garbage collection: the control goroutine waits on syncCh
	// for the marker message while stale holds retained configs seen.
	gcMu     sync.Mutex
	gcActive bool
	stale    map[string][]byte
	syncCh   chan struct{}
	syncTok  string
}

// deviceMeta is what the publisher needs to render a device's state.
type deviceMeta struct {
	ieee      zigbee.IEEE
	name      string
	topic     string   // <base>/<name>
	mock      []string // properties published as null while unknown
	endpoints []string // light/cover endpoints republished on <name>/<ep>
	disabled  bool
}

// New validates cfg and returns a bridge. It does no I/O.
func New(cfg Config) (*Bridge, error) {
	if cfg.Hub == nil {
		return nil, fmt.Errorf("mqttbridge: %w: Hub is required", ErrConfig)
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("mqttbridge: %w: URL is required", ErrConfig)
	}
	if cfg.BaseTopic == "" {
		cfg.BaseTopic = DefaultBaseTopic
	}
	if cfg.HADiscoveryPrefix == "" {
		cfg.HADiscoveryPrefix = DefaultDiscoveryPrefix
	}
	if cfg.HAStatusTopic == "" {
		cfg.HAStatusTopic = DefaultHAStatusTopic
	}
	for _, t := range []string{cfg.BaseTopic, cfg.HADiscoveryPrefix} {
		if strings.ContainsAny(t, "+#") || strings.HasPrefix(t, "/") || strings.HasSuffix(t, "/") {
			return nil, fmt.Errorf("mqttbridge: %w: topic prefix %q (no wildcards, no leading or trailing /)", ErrConfig, t)
		}
	}
	if cfg.HADiscovery && cfg.HADiscoveryPrefix == cfg.BaseTopic {
		return nil, fmt.Errorf("mqttbridge: %w: the discovery prefix must differ from the base topic", ErrConfig)
	}
	if cfg.HARenameDelay <= 0 {
		cfg.HARenameDelay = 2 * time.Second
	}
	if cfg.MaxReconnect <= 0 {
		cfg.MaxReconnect = DefaultMaxReconnect
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.ClientID == "" {
		cfg.ClientID = fmt.Sprintf("zhub_%s_%08x", strings.ReplaceAll(cfg.BaseTopic, "/", "_"), rand.Uint32())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{
		cfg:        cfg,
		h:          cfg.Hub,
		log:        cfg.Logger,
		base:       cfg.BaseTopic,
		connCh:     make(chan bool, 16),
		ctrl:       make(chan func(), 1024),
		reqSem:     make(chan struct{}, 32),
		started:    map[zigbee.IEEE]bool{},
		discovered: map[zigbee.IEEE]map[string]uint64{},
		triggers:   map[zigbee.IEEE]map[string]bool{},
		meta:       map[zigbee.IEEE]*deviceMeta{},
	}
	b.disc = Discovery{Prefix: cfg.HADiscoveryPrefix, Base: cfg.BaseTopic, Availability: true, Version: cfg.Version}
	b.exec = newSerial(cfg.MaxPending, &b.workers)
	b.out = newOutboxes()
	return b, nil
}

// Topic returns base + "/" + suffix.
func (b *Bridge) Topic(suffix string) string { return b.base + "/" + suffix }

// Run connects to the broker and serves until ctx is cancelled; it returns
// nil then. Connection failures are retried with backoff (up to
// MaxReconnect) and reported through OnStatus; they are not returned.
func (b *Bridge) Run(ctx context.Context) error {
	sub := b.h.Subscribe(DefaultEventBuffer)
	defer sub.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.ctx = ctx

	opts := paho.NewClientOptions().AddBroker(b.cfg.URL).SetClientID(b.cfg.ClientID).
		SetUsername(b.cfg.Username).SetPassword(b.cfg.Password).
		SetCleanSession(true).SetKeepAlive(60*time.Second).SetOrderMatters(true).
		SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(min(time.Second, b.cfg.MaxReconnect)).SetMaxReconnectInterval(b.cfg.MaxReconnect).
		SetConnectTimeout(10*time.Second).SetWriteTimeout(10*time.Second).
		SetBinaryWill(b.Topic("bridge/state"), []byte(`{"state":"offline"}`), 1, true).
		SetMessageChannelDepth(4096).
		SetCustomOpenConnectionFn(b.openConn).
		SetDefaultPublishHandler(b.onMessage).
		SetOnConnectHandler(func(paho.Client) { b.signalConn(true) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			b.ctrlDo(func() { b.lastErr = err })
			b.signalConn(false)
		})
	b.client = paho.NewClient(opts)
	b.log.Info("mqtt connecting", "event", "mqtt_connecting", "url", redactURL(b.cfg.URL), "client_id", b.cfg.ClientID, "base_topic", b.base)
	b.client.Connect() // retries until connected or Disconnect
	b.setStatus(Status{Err: fmt.Errorf("connecting to %s", redactURL(b.cfg.URL))})

	var bg sync.WaitGroup
	bg.Go(func() { b.out.run(ctx, b) })
	bg.Go(func() { b.readEvents(ctx, sub) })
	defer func() {
		cancel()
		bg.Wait()
		b.exec.close()
		b.workers.Wait()
	}()

	st := b.h.Status()
	b.netUp, b.netInfo, b.permitEnd = st.NetworkUp, st.Network, st.PermitJoinUntil
	b.refreshMeta()

	for {
		select {
		case <-ctx.Done():
			b.shutdown()
			return nil
		case up := <-b.connCh:
			if up {
				b.onConnected(ctx)
			} else {
				b.onLost()
			}
		case fn := <-b.ctrl:
			fn()
		}
	}
}

// signalConn hands a connection change to the control goroutine.
func (b *Bridge) signalConn(up bool) {
	if !up {
		b.conn.Store(nil)
		b.connected.Store(false)
		b.online.Store(false)
	}
	select {
	case b.connCh <- up:
	default:
		// The channel holds 16 changes; a later one supersedes.
	}
}

// ctrlDo runs fn on the control goroutine (dropped after shutdown).
func (b *Bridge) ctrlDo(fn func()) {
	if b.stopping.Load() {
		return
	}
	select {
	case b.ctrl <- fn:
	case <-b.doneCh():
	}
}

func (b *Bridge) doneCh() <-chan struct{} {
	if b.ctx == nil {
		return nil
	}
	return b.ctx.Done()
}

func (b *Bridge) setStatus(s Status) {
	if !s.Connected && s.Err == nil && b.status.Err != nil && !b.stopping.Load() {
		s.Err = b.status.Err // still not connected: keep the reason
	}
	if s.Connected == b.status.Connected && s.Online == b.status.Online && errors.Is(s.Err, b.status.Err) {
		return
	}
	b.status = s
	if b.cfg.OnStatus != nil {
		b.cfg.OnStatus(s)
	}
}

// commandFilters are the subscriptions for /set, /get and requests.
// Friendly names may contain '/', and MQTT has no "suffix" wildcard, so
// one filter per depth: names of up to maxNameLevels levels (the last may
// be an endpoint). Subscribing to <base>/# instead would bring every state
// message the bridge publishes back to it.
const maxNameLevels = 6

func (b *Bridge) commandFilters() map[string]byte {
	f := map[string]byte{b.Topic("bridge/request/#"): 1}
	name := ""
	for i := 0; i < maxNameLevels; i++ {
		name += "/+"
		for _, kw := range []string{"set", "get"} {
			f[b.base+name+"/"+kw] = 1
			f[b.base+name+"/"+kw+"/+"] = 1
		}
	}
	if b.cfg.HADiscovery {
		f[b.cfg.HAStatusTopic] = 1
		if b.cfg.HAStatusTopic != DefaultHAStatusTopic {
			f[DefaultHAStatusTopic] = 1
		}
	}
	return f
}

// wait waits for a token, the context, or a lost connection.
func (b *Bridge) wait(ctx context.Context, tok paho.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// onConnected subscribes, then publishes everything retained, then
// "online" when the coordinator is up.
func (b *Bridge) onConnected(ctx context.Context) {
	start := time.Now()
	if !b.client.IsConnectionOpen() {
		return // lost again already; the next connect comes
	}
	tok := b.client.SubscribeMultiple(b.commandFilters(), nil)
	if err := b.wait(ctx, tok); err != nil {
		b.log.Warn("mqtt subscribe failed", "event", "mqtt_subscribe_failed", "err", err)
		return // the connection is failing; paho reconnects and we come back here
	}
	// MQTT 3.1.1 refuses a filter with return code 0x80 in a SUBACK that
	// paho reports as success: without every subscription, never say
	// online (a request would be lost).
	if st, ok := tok.(*paho.SubscribeToken); ok {
		for filter, code := range st.Result() {
			if code == 0x80 {
				err := fmt.Errorf("mqttbridge: the broker refused the subscription to %s (ACL?)", filter)
				b.log.Error("mqtt subscription refused", "event", "mqtt_subscribe_refused", "topic", filter, "err", err)
				b.lastErr = err
				b.setStatus(Status{Err: err})
				return
			}
		}
	}
	b.conn.Store(b.newConn.Load())
	b.connected.Store(true)
	b.log.Info("mqtt connected", "event", "mqtt_connected", "url", redactURL(b.cfg.URL), "elapsed_ms", ms(time.Since(start)))

	st := b.h.Status()
	b.netUp, b.netInfo, b.permitEnd = st.NetworkUp, st.Network, st.PermitJoinUntil
	b.refreshMeta()
	b.publishInfo()
	b.publishDevicesNow()
	b.groupsOnConnect()
	for _, d := range b.h.Devices() {
		if d.Type == "Coordinator" || d.Disabled {
			continue
		}
		b.publishAvailability(d.FriendlyName, d.Available)
	}
	b.out.markAll(b.h.Devices())
	if b.cfg.HADiscovery && b.netUp {
		b.discoverAll(ctx)
	}
	b.updateOnline()
}

func (b *Bridge) onLost() {
	b.connected.Store(false)
	b.online.Store(false)
	b.log.Warn("mqtt connection lost", "event", "mqtt_connection_lost", "err", b.lastErr)
	b.setStatus(Status{Err: b.lastErr})
}

// updateOnline publishes bridge/state from the connection and the
// coordinator's network.
func (b *Bridge) updateOnline() {
	if !b.connected.Load() {
		b.setStatus(Status{Err: b.lastErr})
		return
	}
	want := b.netUp
	if b.online.Load() != want || !b.status.Connected {
		payload := `{"state":"offline"}`
		if want {
			payload = `{"state":"online"}`
		}
		tok := b.client.Publish(b.Topic("bridge/state"), 1, true, payload)
		if err := b.wait(b.ctx, tok); err != nil {
			b.log.Warn("mqtt publish bridge/state failed", "event", "mqtt_publish_failed", "topic", b.Topic("bridge/state"), "err", err)
			return
		}
		b.online.Store(want)
		b.log.Info("bridge state", "event", "bridge_state", "online", want)
	}
	b.setStatus(Status{Connected: true, Online: want})
}

// shutdown publishes "offline" and disconnects.
func (b *Bridge) shutdown() {
	b.stopping.Store(true)
	if b.connected.Load() {
		tok := b.client.Publish(b.Topic("bridge/state"), 1, true, `{"state":"offline"}`)
		tok.WaitTimeout(2 * time.Second)
	}
	b.client.Disconnect(250)
	b.connected.Store(false)
	b.online.Store(false)
	b.setStatus(Status{})
	b.log.Info("mqtt disconnected", "event", "mqtt_stopped")
}

// publish sends a message without waiting (QoS 0, or QoS 1 completing in
// the background). QoS 0 messages go straight onto the connection when it
// is one of ours (see batchConn.publish0); a failed write is not reported:
// the connection is failing, and everything is published again on the
// next one.
func (b *Bridge) publish(topic string, qos byte, retain bool, payload []byte) {
	if qos == 0 {
		if c := b.conn.Load(); c != nil {
			_ = c.publish0(topic, retain, payload)
			return
		}
	}
	// paho keeps the slice until it is written; the caller may reuse it.
	b.client.Publish(topic, qos, retain, bytes.Clone(payload))
}

// retained publishes a retained message (QoS 1).
func (b *Bridge) retained(topic string, payload []byte) {
	b.publish(topic, 1, true, payload)
}

// readEvents drains the hub subscription. State changes go to the outbox
// (never blocking); everything else to the control goroutine.
func (b *Bridge) readEvents(ctx context.Context, sub *hub.Subscription) {
	var dropped uint64
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C():
			if !ok {
				return
			}
			if n := sub.Dropped(); n != dropped {
				dropped = n
				b.log.Warn("hub events dropped; re-reading every device", "event", "events_dropped", "dropped", n)
				b.ctrlDo(b.resync)
			}
			switch e := ev.(type) {
			case hub.StateChanged:
				b.out.state(e)
			case hub.MessageRejected:
				// The hub logs it; nothing to publish.
			default:
				b.ctrlDo(func() { b.handleEvent(e) })
			}
		}
	}
}

// resync re-reads every device after lost events.
func (b *Bridge) resync() {
	b.refreshMeta()
	b.out.markAll(b.h.Devices())
	if b.connected.Load() {
		b.publishDevices()
		b.publishInfo()
	}
}

// handleEvent runs on the control goroutine.
func (b *Bridge) handleEvent(ev hub.Event) {
	defer b.groupEvent(ev)
	switch e := ev.(type) {
	case hub.NetworkChanged:
		b.netUp = e.Up
		if e.Up {
			b.netInfo = e.Info
		}
		if b.connected.Load() {
			b.publishInfo()
			if e.Up && b.cfg.HADiscovery {
				b.discoverAll(b.ctx)
			}
		}
		b.updateOnline()
	case hub.PermitJoinChanged:
		b.permitEnd = time.Time{}
		if e.Open {
			b.permitEnd = e.Until
		}
		b.publishInfo()
	case hub.DeviceJoined:
		typ := "device_announce"
		if e.New {
			typ = "device_joined"
			b.lastJoined = e.IEEE.String()
		}
		b.refreshDevice(e.IEEE)
		b.publishEvent(typ, map[string]any{"friendly_name": e.Device, "ieee_address": e.IEEE.String()})
		b.publishDevices()
	case hub.InterviewProgress:
		data := map[string]any{"friendly_name": e.Device, "ieee_address": e.IEEE.String()}
		switch e.Interview.State {
		case hub.InterviewInProgress, hub.InterviewPending:
			if b.started[e.IEEE] {
				return
			}
			b.started[e.IEEE] = true
			data["status"] = "started"
		case hub.InterviewSuccessful:
			delete(b.started, e.IEEE)
			data["status"] = "successful"
			if e.Definition != nil {
				data["supported"] = true
				data["definition"] = definitionPayload(*e.Definition)
			}
		case hub.InterviewFailed:
			delete(b.started, e.IEEE)
			data["status"] = "failed"
		}
		b.publishEvent("device_interview", data)
		b.refreshDevice(e.IEEE)
		b.publishDevices()
		if e.Interview.State == hub.InterviewSuccessful && b.cfg.HADiscovery {
			if d, err := b.h.Device(e.IEEE.String()); err == nil {
				b.discoverDevice(d)
			}
		}
	case hub.DeviceLeft:
		b.publishEvent("device_leave", map[string]any{"friendly_name": e.Device, "ieee_address": e.IEEE.String()})
		b.publishDevices()
	case hub.DeviceRemoved:
		b.clearDevice(e.IEEE, e.Device)
		b.refreshMeta()
		b.publishDevices()
	case hub.DeviceRenamed:
		b.refreshDevice(e.IEEE)
		if b.connected.Load() {
			b.retained(b.Topic(e.From), nil)
			b.retained(b.Topic(e.From+"/availability"), nil)
		}
		if d, err := b.h.Device(e.IEEE.String()); err == nil {
			if b.cfg.HADiscovery {
				b.discoverDevice(d)
				for v := range b.triggers[e.IEEE] {
					b.publishDiscovery(e.IEEE, b.disc.Trigger(d, v))
				}
			}
			b.publishAvailability(d.FriendlyName, d.Available)
			b.out.mark(d)
		}
		b.publishDevices()
	case hub.AvailabilityChanged:
		b.publishAvailability(e.Device, e.Available)
	}
}

// refreshMeta rebuilds the publisher's per-device view.
func (b *Bridge) refreshMeta() {
	devs := b.h.Devices()
	m := make(map[zigbee.IEEE]*deviceMeta, len(devs))
	byName := make(map[string]*deviceMeta, len(devs))
	for _, d := range devs {
		dm := b.newMeta(d)
		m[d.IEEE], byName[d.FriendlyName] = dm, dm
	}
	b.metaMu.Lock()
	b.meta, b.byName = m, byName
	b.metaMu.Unlock()
}

// refreshDevice updates one device in the view (a join, an interview
// step, a rename): cheaper than refreshMeta for every event of a mass
// pairing.
func (b *Bridge) refreshDevice(ieee zigbee.IEEE) {
	d, err := b.h.Device(ieee.String())
	if err != nil {
		b.refreshMeta()
		return
	}
	dm := b.newMeta(d)
	b.metaMu.Lock()
	if old := b.meta[ieee]; old != nil && b.byName[old.name] == old {
		delete(b.byName, old.name)
	}
	b.meta[ieee], b.byName[dm.name] = dm, dm
	b.metaMu.Unlock()
}

func (b *Bridge) newMeta(d hub.Device) *deviceMeta {
	dm := &deviceMeta{ieee: d.IEEE, name: d.FriendlyName, topic: b.Topic(d.FriendlyName), disabled: d.Disabled}
	if b.cfg.HADiscovery {
		msgs, mock := b.disc.Device(d)
		dm.mock = mock
		for _, msg := range msgs {
			if msg.Component != "light" && msg.Component != "cover" {
				continue
			}
			if _, ep, ok := strings.Cut(msg.ObjectID, "_"); ok {
				dm.endpoints = append(dm.endpoints, ep)
			}
		}
	}
	return dm
}

// metaByName finds a device by friendly name in the bridge's view.
func (b *Bridge) metaByName(name string) *deviceMeta {
	b.metaMu.RLock()
	defer b.metaMu.RUnlock()
	return b.byName[name]
}

func (b *Bridge) metaOf(ieee zigbee.IEEE) *deviceMeta {
	b.metaMu.RLock()
	defer b.metaMu.RUnlock()
	return b.meta[ieee]
}

func (b *Bridge) publishAvailability(name string, up bool) {
	if !b.connected.Load() {
		return
	}
	payload := `{"state":"offline"}`
	if up {
		payload = `{"state":"online"}`
	}
	b.retained(b.Topic(name+"/availability"), []byte(payload))
}

func (b *Bridge) publishEvent(typ string, data map[string]any) {
	if !b.connected.Load() {
		return
	}
	b.publish(b.Topic("bridge/event"), 0, false, marshal(map[string]any{"type": typ, "data": data}))
}

// logToMQTT publishes a line on bridge/logging, as Zigbee2MQTT does for
// failures that have no response topic.
func (b *Bridge) logToMQTT(level, msg string) {
	if !b.connected.Load() {
		return
	}
	b.publish(b.Topic("bridge/logging"), 0, false, marshal(map[string]any{"level": level, "message": msg, "namespace": "zhub"}))
}

// onMessage is paho's handler for messages on connections paho reads
// itself (WebSocket and unix sockets); on TCP and TLS connections the
// connection hands them to onPublish directly.
func (b *Bridge) onMessage(_ paho.Client, m paho.Message) {
	b.onPublish(m.Topic(), m.Payload())
}

// onPublish handles one subscribed message in the order the broker sent
// it. It hands the work off and returns; payload is not kept.
func (b *Bridge) onPublish(topic string, payload []byte) {
	if b.cfg.HADiscovery {
		if topic == b.cfg.HAStatusTopic || topic == DefaultHAStatusTopic {
			if strings.EqualFold(strings.TrimSpace(string(payload)), "online") {
				b.ctrlDo(b.onHABirth)
			}
			return
		}
		if strings.HasPrefix(topic, b.cfg.HADiscoveryPrefix+"/") {
			b.gcMessage(topic, payload)
			return
		}
	}
	t := ParseTopic(b.base, topic)
	switch t.Kind {
	case TopicSet, TopicGet:
		b.command(t, topic, bytes.Clone(payload))
	case TopicRequest:
		b.request(t.Request, bytes.Clone(payload))
	}
}

// ms is a duration in milliseconds for elapsed_ms.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// redactURL drops user info from a broker URL for logs.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if _, host, ok := strings.Cut(rest, "@"); ok {
		return scheme + "://" + host
	}
	return u
}

// jitter returns the HA birth delay.
func (b *Bridge) birthDelay() time.Duration {
	if b.cfg.HABirthDelay > 0 {
		return b.cfg.HABirthDelay
	}
	return 2*time.Second + rand.N(8*time.Second)
}
