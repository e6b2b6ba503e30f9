package mcp

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// Hub is what the device context uses of the hub (*hub.Hub implements it).
type Hub interface {
	Ready() <-chan struct{}
	Devices() []hub.Device
	Device(nameOrIEEE string) (hub.Device, error)
	Set(ctx context.Context, name string, values map[string]any) (map[string]any, error)
	History(ctx context.Context, name, property string, from, to time.Time, limit int) ([]hub.HistoryPoint, error)
	Rename(ctx context.Context, from, to string) error
	Remove(ctx context.Context, name string, force bool) error
	PermitJoin(ctx context.Context, d time.Duration, via string) error
	Subscribe(buffer int) *hub.Subscription
	Groups() []hub.Group
	Group(nameOrID string) (hub.Group, error)
	SetGroup(ctx context.Context, group string, values map[string]any) (map[string]any, error)
}

// syncer is implemented by a hub that can flush pending registry writes
// (*hub.Hub): a context saved right after a device joined needs the
// device's row.
type syncer interface {
	Sync(ctx context.Context) error
}

// Tool names.
const (
	ToolListDevices      = "list_devices"
	ToolGetDevice        = "get_device"
	ToolSetDevice        = "set_device"
	ToolGetHistory       = "get_history"
	ToolListRooms        = "list_rooms"
	ToolSetDeviceContext = "set_device_context"
	ToolPermitJoin       = "permit_join"
	ToolRenameDevice     = "rename_device"
	ToolRemoveDevice     = "remove_device"
)

// GuardedTools are the tools that exist only when Config.GuardedTools
// names them (the configuration's mcp.guarded_tools).
var GuardedTools = []string{ToolPermitJoin, ToolRenameDevice, ToolRemoveDevice}

// Defaults of zero Config fields.
const (
	DefaultDebounce         = 250 * time.Millisecond
	DefaultMaxHistoryPoints = 500
	DefaultMaxHistoryRange  = 31 * 24 * time.Hour
	DefaultEventBuffer      = 1024
	loadRetry               = 5 * time.Second
)

// Config configures a Server. Hub is required.
type Config struct {
	Hub Hub
	// Contexts persists the device context; nil keeps it in memory.
	Contexts ContextStore
	// GuardedTools enables guarded tools by name (see GuardedTools).
	GuardedTools []string
	// Version is reported as the server's version.
	Version string
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// Debounce delays notifications/resources/updated so a burst of
	// changes sends one (default DefaultDebounce; negative: none).
	Debounce time.Duration
	// MaxHistoryPoints bounds the points get_history returns and
	// MaxHistoryRange the time range it accepts.
	MaxHistoryPoints int
	MaxHistoryRange  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the MCP device context over a hub. Create it with New, run it
// with Run; reach it with Connect (in memory), Handler (HTTP) or
// LocalHandler (the unix socket).
type Server struct {
	cfg     Config
	hub     Hub
	log     *slog.Logger
	now     func() time.Time
	sdk     *sdk.Server
	guarded map[string]bool

	loaded chan struct{} // closed once the contexts are loaded

	catalogMu sync.Mutex // serialises refreshCatalog

	mu        sync.Mutex
	contexts  map[zigbee.IEEE]DeviceContext
	loadErr   error
	resources map[string]string // registered device resource URI -> rendering, to skip unchanged
	toolDefs  map[string]string // tool name -> rendering of its definition

	dirty chan struct{} // asks Run to rebuild the catalog (capacity 1)
}

// New validates cfg and builds the server. It does no I/O.
func New(cfg Config) (*Server, error) {
	if cfg.Hub == nil {
		return nil, fmt.Errorf("mcp: %w: Hub is required", ErrConfig)
	}
	guarded := map[string]bool{}
	for _, t := range cfg.GuardedTools {
		if !slices.Contains(GuardedTools, t) {
			return nil, fmt.Errorf("mcp: %w: guarded tool %q (allowed: %s)", ErrConfig, t, strings.Join(GuardedTools, ", "))
		}
		guarded[t] = true
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.MaxHistoryPoints <= 0 {
		cfg.MaxHistoryPoints = DefaultMaxHistoryPoints
	}
	if cfg.MaxHistoryRange <= 0 {
		cfg.MaxHistoryRange = DefaultMaxHistoryRange
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, hub: cfg.Hub, log: cfg.Logger, now: cfg.Now, guarded: guarded,
		loaded: make(chan struct{}), contexts: map[zigbee.IEEE]DeviceContext{},
		resources: map[string]string{}, toolDefs: map[string]string{}, dirty: make(chan struct{}, 1)}
	if cfg.Contexts == nil {
		close(s.loaded)
	}
	s.sdk = sdk.NewServer(&sdk.Implementation{Name: "zhub", Title: "zhub home hub", Version: cfg.Version}, &sdk.ServerOptions{
		Instructions: instructions,
		Capabilities: &sdk.ServerCapabilities{
			Tools:     &sdk.ToolCapabilities{ListChanged: true},
			Resources: &sdk.ResourceCapabilities{Subscribe: true, ListChanged: true},
		},
		SubscribeHandler:   s.subscribe,
		UnsubscribeHandler: func(context.Context, *sdk.UnsubscribeRequest) error { return nil },
		// The SDK's own records are debug detail under our module.
		Logger: sdkLogger(cfg.Logger),
	})
	s.sdk.AddResource(&sdk.Resource{URI: devicesURI, Name: "devices", Title: "All devices",
		Description: "Every device of the home with its room, kind, availability and state.", MIMEType: "application/json"}, s.readDevices)
	s.sdk.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: deviceURITemplate, Name: "device", Title: "One device",
		Description: "One device by friendly name or IEEE address: state, capabilities, availability, context.",
		MIMEType:    "application/json"}, s.readDevice)
	s.refreshCatalog()
	return s, nil
}

// instructions are the server's static instructions (initialize and
// server/discover); the household-specific text is SystemPrompt and the
// tool descriptions.
const instructions = "zhub controls a Zigbee home. Use list_rooms or list_devices to find devices " +
	"(they answer to friendly names, the household's aliases and IEEE addresses), get_device before " +
	"changing something unfamiliar, and set_device to act: it returns the state the device reported back. " +
	"A refusal by the household's rules is final: tell the person instead of retrying."

// sdkLogger passes the SDK's records at debug level only: its info
// records (a session started, a notification sent) are per-request noise.
func sdkLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelCap{l.Handler()}).With("event", "mcp_sdk")
}

type levelCap struct{ slog.Handler }

func (h levelCap) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, slog.LevelDebug) && l >= slog.LevelDebug
}

func (h levelCap) Handle(ctx context.Context, r slog.Record) error {
	r2 := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { r2.AddAttrs(a); return true })
	return h.Handler.Handle(ctx, r2)
}

func (h levelCap) WithAttrs(as []slog.Attr) slog.Handler { return levelCap{h.Handler.WithAttrs(as)} }
func (h levelCap) WithGroup(g string) slog.Handler       { return levelCap{h.Handler.WithGroup(g)} }

// SDK returns the underlying go-sdk server (for transports this package
// does not wrap, e.g. a test's StdioTransport).
func (s *Server) SDK() *sdk.Server { return s.sdk }

// Run loads the device context, then follows the hub's events: resource
// notifications and catalog (tool and resource list) updates. It returns
// nil when ctx ends.
func (s *Server) Run(ctx context.Context) error {
	sub := s.hub.Subscribe(DefaultEventBuffer)
	defer sub.Close()
	select {
	case <-s.hub.Ready():
	case <-ctx.Done():
		return nil
	}
	retry := time.NewTimer(0)
	defer retry.Stop()
	if !s.load(ctx) {
		retry.Reset(loadRetry)
	} else {
		retry.Stop()
	}
	s.refreshCatalog()

	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	armed := false
	pending := map[string]bool{}
	catalog := false
	var dropped uint64
	arm := func() {
		if armed {
			return
		}
		armed = true
		debounce.Reset(max(s.cfg.Debounce, 0))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.C():
			if !ok {
				return nil
			}
			if s.onEvent(ev, pending) {
				catalog = true
			}
			if d := sub.Dropped(); d != dropped {
				// Lost events: refresh everything once.
				dropped = d
				catalog = true
				pending[devicesURI] = true
				for _, e := range s.entries() {
					pending[deviceURI(e.name())] = true
				}
			}
			if catalog || len(pending) > 0 {
				arm()
			}
		case <-s.dirty:
			catalog = true
			pending[devicesURI] = true
			arm()
		case <-retry.C:
			if s.load(ctx) {
				catalog = true
				arm()
			} else {
				retry.Reset(loadRetry)
			}
		case <-debounce.C:
			armed = false
			if catalog {
				catalog = false
				s.refreshCatalog()
			}
			for _, uri := range slices.Sorted(maps.Keys(pending)) {
				if err := s.sdk.ResourceUpdated(ctx, &sdk.ResourceUpdatedNotificationParams{URI: uri}); err != nil && ctx.Err() == nil {
					s.log.Warn("resource update notification failed", "event", "mcp_notify_failed", "uri", uri, "err", err)
				}
			}
			clear(pending)
		}
	}
}

// onEvent records what an event changes; it reports whether the catalog
// (device list, names, capabilities) changed.
func (s *Server) onEvent(ev hub.Event, pending map[string]bool) bool {
	switch e := ev.(type) {
	case hub.StateChanged:
		pending[deviceURI(e.Device)] = true
		pending[devicesURI] = true
	case hub.AvailabilityChanged:
		pending[deviceURI(e.Device)] = true
		pending[devicesURI] = true
	case hub.DeviceJoined:
		pending[devicesURI] = true
		return e.New
	case hub.InterviewProgress:
		if e.Definition != nil || e.Interview.State == hub.InterviewFailed {
			pending[devicesURI] = true
			pending[deviceURI(e.Device)] = true
			return true
		}
	case hub.DeviceRenamed:
		pending[devicesURI] = true
		return true
	case hub.DeviceRemoved:
		s.mu.Lock()
		delete(s.contexts, e.IEEE)
		s.mu.Unlock()
		pending[devicesURI] = true
		return true
	case hub.DeviceLeft:
		pending[devicesURI] = true
		pending[deviceURI(e.Device)] = true
	case hub.GroupsChanged:
		return true // group tools and their descriptions
	}
	return false
}

// load reads the device contexts; on failure tools that act refuse until
// a later try succeeds.
func (s *Server) load(ctx context.Context) bool {
	if s.cfg.Contexts == nil {
		return true
	}
	t0 := time.Now()
	cs, err := s.cfg.Contexts.LoadContexts(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.loadErr = fmt.Errorf("mcp: device context not loaded: %w", err)
		s.log.Error("device context not loaded; tools refuse to act until it is", "event", "mcp_context_load_failed", "err", err)
		return false
	}
	s.loadErr = nil
	for _, c := range cs {
		s.contexts[c.IEEE] = c.clone()
	}
	select {
	case <-s.loaded:
	default:
		close(s.loaded)
	}
	s.log.Info("device context loaded", "event", "mcp_context_loaded", "devices", len(cs), "elapsed_ms", ms(time.Since(t0)))
	return true
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ready waits until the device context is loaded: before that, the rules
// are unknown and nothing may act.
func (s *Server) ready(ctx context.Context) error {
	select {
	case <-s.loaded:
		return nil
	default:
	}
	s.mu.Lock()
	err := s.loadErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-s.loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// markDirty asks Run to rebuild the catalog and notify list changes.
func (s *Server) markDirty() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// contextOf returns a device's context (zero when none).
func (s *Server) contextOf(ieee zigbee.IEEE) DeviceContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contexts[ieee].clone()
}

// entries returns the devices assistants may see, ordered by name.
func (s *Server) entries() []entry {
	devs := s.hub.Devices()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]entry, 0, len(devs))
	for _, d := range devs {
		if d.Type == "Coordinator" {
			continue
		}
		c := s.contexts[d.IEEE]
		if c.Rules.level() == AccessHidden {
			continue
		}
		c.IEEE = d.IEEE
		out = append(out, entry{dev: d, ctx: c.clone()})
	}
	return out
}

// resolve finds a visible device by friendly name, IEEE address, alias or
// name in another case.
func (s *Server) resolve(name string) (entry, error) {
	name = strings.TrimSpace(name)
	if d, err := s.hub.Device(name); err == nil && d.Type != "Coordinator" {
		c := s.contextOf(d.IEEE)
		if c.Rules.level() != AccessHidden {
			c.IEEE = d.IEEE
			return entry{dev: d, ctx: c}, nil
		}
		return entry{}, &UnknownDeviceError{Name: name}
	}
	es := s.entries()
	var found []entry
	for _, e := range es {
		if strings.EqualFold(e.name(), name) || slices.ContainsFunc(e.ctx.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var cands []string
		for _, e := range es {
			cands = append(cands, e.name())
			cands = append(cands, e.ctx.Aliases...)
		}
		return entry{}, &UnknownDeviceError{Name: name, Suggestion: closest(name, cands)}
	}
	var names []string
	for _, e := range found {
		names = append(names, e.name())
	}
	return entry{}, fmt.Errorf("mcp: %q is ambiguous: it names %s; use the friendly name: %w", name, strings.Join(names, ", "), ErrUnknownDevice)
}

// closest returns the candidate nearest to s (case-insensitive edit
// distance at most a third of its length, or containing it), or "".
func closest(s string, cands []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", 1<<30
	limit := max(1, min(3, len([]rune(ls))/3))
	for _, c := range cands {
		lc := strings.ToLower(c)
		d := editDistance(ls, lc)
		if d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" && len(ls) >= 3 {
		for _, c := range cands {
			lc := strings.ToLower(c)
			if strings.Contains(lc, ls) || strings.Contains(ls, lc) {
				return c
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// DeviceContextView is one device's context with its names, as the local
// API and `zhub device context` show it.
type DeviceContextView struct {
	Device  string   `json:"device"`
	IEEE    string   `json:"ieee_address"`
	Room    string   `json:"room"`
	Aliases []string `json:"aliases"`
	Notes   string   `json:"notes"`
	Rules   Rules    `json:"rules"`
}

func viewOf(d hub.Device, c DeviceContext) DeviceContextView {
	v := DeviceContextView{Device: d.FriendlyName, IEEE: d.IEEE.String(), Room: c.Room, Aliases: slices.Clone(c.Aliases),
		Notes: c.Notes, Rules: Rules{Access: c.Rules.level(), Deny: slices.Clone(c.Rules.Deny)}}
	if v.Aliases == nil {
		v.Aliases = []string{}
	}
	return v
}

// DeviceContext returns the context of any device (hidden ones included)
// by friendly name or IEEE address. This is the owner's view, for the local
// API; assistants use the tools.
func (s *Server) DeviceContext(name string) (DeviceContextView, error) {
	d, err := s.hub.Device(name)
	if err != nil {
		return DeviceContextView{}, err
	}
	return viewOf(d, s.contextOf(d.IEEE)), nil
}

// DeviceContexts returns the context of every device, ordered by name.
func (s *Server) DeviceContexts() []DeviceContextView {
	devs := s.hub.Devices()
	out := make([]DeviceContextView, 0, len(devs))
	for _, d := range devs {
		if d.Type == "Coordinator" {
			continue
		}
		out = append(out, viewOf(d, s.contextOf(d.IEEE)))
	}
	return out
}

// SetDeviceContext changes a device's context (any field, rules included)
// and stores it before returning. It is the owner's door (local API, web
// UI); assistants use set_device_context, which cannot change rules.
func (s *Server) SetDeviceContext(ctx context.Context, name string, u ContextUpdate) (DeviceContextView, error) {
	if err := s.ready(ctx); err != nil {
		return DeviceContextView{}, err
	}
	d, err := s.hub.Device(name)
	if err != nil {
		return DeviceContextView{}, err
	}
	return s.update(ctx, d, u)
}

// update applies u to d's context, stores it and refreshes the catalog.
func (s *Server) update(ctx context.Context, d hub.Device, u ContextUpdate) (DeviceContextView, error) {
	old := s.contextOf(d.IEEE)
	c, err := u.apply(old)
	if err != nil {
		return DeviceContextView{}, err
	}
	c.IEEE = d.IEEE
	if st := s.cfg.Contexts; st != nil {
		if hs, ok := s.hub.(syncer); ok {
			if err := hs.Sync(ctx); err != nil {
				return DeviceContextView{}, fmt.Errorf("mcp: save context of %s: %w", d.FriendlyName, err)
			}
		}
		if c.empty() {
			err = st.DeleteContext(ctx, d.IEEE)
		} else {
			err = st.SaveContext(ctx, c)
		}
		if err != nil {
			return DeviceContextView{}, fmt.Errorf("mcp: save context of %s: %w", d.FriendlyName, err)
		}
	}
	s.mu.Lock()
	if c.empty() {
		delete(s.contexts, d.IEEE)
	} else {
		s.contexts[d.IEEE] = c.clone()
	}
	s.mu.Unlock()
	s.log.Info("device context changed", "event", "mcp_context_changed", "device", d.FriendlyName,
		"room", c.Room, "aliases", len(c.Aliases), "access", string(c.Rules.level()), "deny", len(c.Rules.Deny))
	s.refreshCatalog()
	s.markDirty()
	return viewOf(d, c), nil
}
