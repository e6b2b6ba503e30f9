package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/zigbee"
)

// Prefix is the versioned path every endpoint lives under.
const Prefix = "/localapi/v0/"

// SocketMode is the permission of the socket file: the daemon's user and
// group may connect, nobody else.
const SocketMode fs.FileMode = 0o660

// maxBody bounds request bodies (a coordinator backup of a few hundred
// devices is well below it).
const maxBody = 4 << 20

// Hub is what the local API uses of the hub (*hub.Hub implements it).
type Hub interface {
	Ready() <-chan struct{}
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
	Restore(ctx context.Context, b *zigbee.Backup) error
	Subscribe(buffer int) *hub.Subscription

	Groups() []hub.Group
	Group(nameOrID string) (hub.Group, error)
	AddGroup(ctx context.Context, name string, id uint16) (hub.Group, error)
	RemoveGroup(ctx context.Context, name string, force bool) error
	RenameGroup(ctx context.Context, from, to string) error
	AddGroupMember(ctx context.Context, group, device string, endpoint uint8) error
	RemoveGroupMember(ctx context.Context, group, device string, endpoint uint8) error
	SetGroup(ctx context.Context, group string, values map[string]any) (map[string]any, error)
}

// Tokens is what the local API uses of hub/auth (*auth.Tokens implements it).
type Tokens interface {
	Create(ctx context.Context, name string) (string, error)
	List(ctx context.Context) ([]auth.Token, error)
	Revoke(ctx context.Context, name string) error
}

// Chat answers a chat message, calling emit for each text, metadata or
// image chunk in order (emit fails once the client is gone; stop then). It
// returns the conversation id to continue the exchange. The chat service
// of the daemon (the LLM tool loop) implements it.
type Chat interface {
	Chat(ctx context.Context, req ChatRequest, emit func(ChatChunk) error) (conversation string, err error)
}

// Config configures a Server. Socket is required.
type Config struct {
	// Socket is the path of the unix socket.
	Socket string
	// Version is reported by status.
	Version string
	// Components, if set, returns the daemon's parts as /health reports
	// them; status includes them.
	Components func() map[string]Component
	// Logs, if set, backs GET logs.
	Logs *LogRing
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ReadyWait bounds how long a request waits for the hub to finish
	// loading before it is answered "starting" (default 5 s).
	ReadyWait time.Duration
	// PermitJoinWait bounds how long permit_join waits for the coordinator
	// to confirm the change (default 5 s).
	PermitJoinWait time.Duration
}

// Server is the local API. Create it with New, bind with Listen, serve
// with Run; attach the hub, tokens and chat (in any order, at any time)
// with SetHub, SetTokens and SetChat. Until the hub is attached every
// endpoint but status answers 503 "starting".
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	started time.Time
	mux     *http.ServeMux

	hub    atomic.Pointer[Hub]
	noHub  atomic.Pointer[error] // why there will be no hub (SetNoHub)
	tokens atomic.Pointer[Tokens]
	chat   atomic.Pointer[Chat]

	mu      sync.Mutex
	ln      net.Listener
	mounted map[string]bool
}

// endpoints is the one table of the API: "METHOD name" (under Prefix) to
// handler. A handler returns an error only before it wrote anything.
var endpoints = map[string]func(*Server, http.ResponseWriter, *http.Request) error{
	"GET status":                (*Server).serveStatus,
	"GET devices":               (*Server).serveDevices,
	"GET device":                (*Server).serveDevice,
	"POST device/rename":        (*Server).serveRename,
	"POST device/remove":        (*Server).serveRemove,
	"POST device/interview":     (*Server).serveInterview,
	"POST device/configure":     (*Server).serveConfigure,
	"POST device/get":           (*Server).serveGet,
	"POST device/set":           (*Server).serveSet,
	"GET groups":                (*Server).serveGroups,
	"GET group":                 (*Server).serveGroup,
	"POST group/add":            (*Server).serveGroupAdd,
	"POST group/remove":         (*Server).serveGroupRemove,
	"POST group/rename":         (*Server).serveGroupRename,
	"POST group/members/add":    (*Server).serveGroupMemberAdd,
	"POST group/members/remove": (*Server).serveGroupMemberRemove,
	"POST group/set":            (*Server).serveGroupSet,
	"POST permit_join":          (*Server).servePermitJoin,
	"POST pair":                 (*Server).servePair,
	"GET events":                (*Server).serveEvents,
	"GET backup":                (*Server).serveBackup,
	"POST restore":              (*Server).serveRestore,
	"GET tokens":                (*Server).serveTokens,
	"POST tokens":               (*Server).serveTokenCreate,
	"POST tokens/revoke":        (*Server).serveTokenRevoke,
	"GET logs":                  (*Server).serveLogs,
	"POST chat":                 (*Server).serveChat,
	"GET " + versionEndpoint:    (*Server).serveVersion,
	"HEAD " + versionEndpoint:   (*Server).serveVersion,
}

const versionEndpoint = "version"

// New validates cfg. It does no I/O.
func New(cfg Config) (*Server, error) {
	if cfg.Socket == "" {
		return nil, errors.New("localapi: config: Socket is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReadyWait <= 0 {
		cfg.ReadyWait = 5 * time.Second
	}
	if cfg.PermitJoinWait <= 0 {
		cfg.PermitJoinWait = 5 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, started: cfg.Now(), mux: http.NewServeMux(), mounted: map[string]bool{}}
	for key, fn := range endpoints {
		var method, name string
		fmt.Sscan(key, &method, &name)
		s.mux.Handle(method+" "+Prefix+name, s.wrap(fn))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, &codedError{http.StatusNotFound, CodeNotFound, fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)})
	})
	return s, nil
}

// Mount serves h at pattern (a net/http ServeMux pattern, e.g. "/mcp") on
// the socket, beside the local API. It panics on a pattern mounted twice
// or under Prefix, as registering a duplicate endpoint is a programming
// error.
func (s *Server) Mount(pattern string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mounted[pattern] {
		panic("localapi: Mount: " + pattern + " mounted twice")
	}
	s.mounted[pattern] = true
	s.mux.Handle(pattern, h)
}

// SetHub attaches the hub; the daemon then reports "running".
func (s *Server) SetHub(h Hub) { s.hub.Store(&h) }

// SetNoHub says that the daemon runs without a hub (its coordinator is
// disabled, for the reason given): the daemon reports "running", and hub
// endpoints answer 503 hub_not_running with the reason rather than
// "starting".
func (s *Server) SetNoHub(reason error) { s.noHub.Store(&reason) }

// SetTokens attaches the token service.
func (s *Server) SetTokens(t Tokens) { s.tokens.Store(&t) }

// SetChat attaches the chat service.
func (s *Server) SetChat(c Chat) { s.chat.Store(&c) }

// Handler returns the HTTP handler (for tests and for serving on another
// listener).
func (s *Server) Handler() http.Handler { return s.mux }

// Listen binds the socket: it creates the directory if needed (0750),
// replaces a stale socket file that nothing answers on, refuses to start
// when another daemon answers, and sets the file mode to SocketMode.
func (s *Server) Listen() error {
	path := s.cfg.Socket
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("localapi: socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return fmt.Errorf("localapi: %s exists and is not a socket; remove it or choose another --socket", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("localapi: another zhub daemon is serving %s", path)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("localapi: remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("localapi: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		return fmt.Errorf("localapi: chmod %s: %w", path, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return nil
}

// Run serves on the socket bound by Listen until ctx is cancelled, then
// ends open streams, shuts down within two seconds and removes the socket
// file. It returns nil on cancellation.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return errors.New("localapi: Run before Listen")
	}
	srv := &http.Server{
		Handler:           s.mux,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("local API listening", "event", "localapi_listening", "socket", s.cfg.Socket)
	select {
	case err := <-errc:
		return fmt.Errorf("localapi: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-errc
	return nil
}

// wrap adds the error answer to a handler.
func (s *Server) wrap(fn func(*Server, http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		if err := fn(s, w, r); err != nil {
			status, code := codeOf(err)
			if status >= 500 && code != CodeStarting && code != CodeUnavailable && code != CodeNotRunning {
				s.log.Warn("local API request failed", "event", "localapi_error", "path", r.URL.Path, "code", code, "err", err,
					"elapsed_ms", float64(s.now().Sub(start).Microseconds())/1000)
			}
			s.writeError(w, err)
		}
	})
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	status, code := codeOf(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ErrorBody{Error: message(err), Code: code, Suggestion: suggestionOf(err)})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// decode reads a JSON request body into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	return nil
}

var errStarting = &codedError{http.StatusServiceUnavailable, CodeStarting,
	"zhub is starting (the hub is not up yet); try again in a few seconds"}

// hubFor returns the attached hub once it has loaded its registry.
func (s *Server) hubFor(r *http.Request) (Hub, error) {
	p := s.hub.Load()
	if p == nil {
		if why := s.noHub.Load(); why != nil {
			return nil, &codedError{http.StatusServiceUnavailable, CodeNotRunning, fmt.Sprintf("no Zigbee coordinator: %v", *why)}
		}
		return nil, errStarting
	}
	h := *p
	select {
	case <-h.Ready():
		return h, nil
	default:
	}
	t := time.NewTimer(s.cfg.ReadyWait)
	defer t.Stop()
	select {
	case <-h.Ready():
		return h, nil
	case <-t.C:
		return nil, errStarting
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

func (s *Server) serveVersion(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, map[string]string{"version": s.cfg.Version, "api": "v0"})
}

func (s *Server) serveStatus(w http.ResponseWriter, _ *http.Request) error {
	now := s.now()
	st := Status{
		Daemon: Daemon{Version: s.cfg.Version, PID: os.Getpid(), State: StateStarting, StartedAt: s.started,
			UptimeS: float64(now.Sub(s.started).Milliseconds()) / 1000, Socket: s.cfg.Socket},
		Components: map[string]Component{},
	}
	if s.cfg.Components != nil {
		st.Components = s.cfg.Components()
	}
	if s.noHub.Load() != nil {
		st.Daemon.State = StateRunning
	}
	if p := s.hub.Load(); p != nil {
		h := *p
		st.Daemon.State = StateRunning
		hs := h.Status()
		st.Coordinator = coordinatorFrom(hs)
		st.Devices = DeviceCounts{Total: hs.Devices, Online: hs.Online, Interviewing: hs.Interviewing}
		if !hs.PermitJoinUntil.IsZero() {
			st.PermitJoin = PermitJoin{Open: true, Until: hs.PermitJoinUntil, Via: hs.PermitJoinVia}
		}
	}
	return writeJSON(w, st)
}

func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	devs := h.Devices()
	out := make([]Device, len(devs))
	for i, d := range devs {
		out[i] = DeviceFrom(d)
	}
	return writeJSON(w, out)
}

func (s *Server) serveDevice(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		return badRequest("missing ?name=")
	}
	d, err := h.Device(name)
	if err != nil {
		return err
	}
	return writeJSON(w, DeviceFrom(d))
}

func (s *Server) serveRename(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req RenameRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return badRequest("missing device")
	}
	d, err := h.Device(req.Device)
	if err != nil {
		return err
	}
	if err := h.Rename(r.Context(), req.Device, req.To); err != nil {
		return err
	}
	if d, err = h.Device(d.IEEE.String()); err != nil {
		return err
	}
	return writeJSON(w, DeviceFrom(d))
}

func (s *Server) serveRemove(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req RemoveRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return badRequest("missing device")
	}
	d, err := h.Device(req.Device)
	if err != nil {
		return err
	}
	if err := h.Remove(r.Context(), req.Device, req.Force); err != nil {
		return err
	}
	return writeJSON(w, RemoveResult{Removed: d.FriendlyName, IEEE: d.IEEE.String(), Forced: req.Force})
}

func (s *Server) serveInterview(w http.ResponseWriter, r *http.Request) error {
	return s.serveDeviceAction(w, r, Hub.Interview)
}

// serveDeviceAction is a POST {"device"} that runs action on the device and
// answers with the device as it is afterwards (interview, configure).
func (s *Server) serveDeviceAction(w http.ResponseWriter, r *http.Request, action func(Hub, context.Context, string) error) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req NameRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return badRequest("missing device")
	}
	d, err := h.Device(req.Device)
	if err != nil {
		return err
	}
	if err := action(h, r.Context(), req.Device); err != nil {
		return err
	}
	if d, err = h.Device(d.IEEE.String()); err != nil {
		return err
	}
	return writeJSON(w, DeviceFrom(d))
}

func (s *Server) serveGet(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req GetRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return badRequest("missing device")
	}
	d, err := h.Device(req.Device)
	if err != nil {
		return err
	}
	vals, err := h.Get(r.Context(), req.Device, req.Properties...)
	if err != nil {
		return err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return writeJSON(w, StateResult{Device: d.FriendlyName, State: vals})
}

func (s *Server) serveSet(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req SetRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return badRequest("missing device")
	}
	if len(req.Values) == 0 {
		return badRequest("nothing to set: values is empty")
	}
	d, err := h.Device(req.Device)
	if err != nil {
		return err
	}
	vals, err := h.Set(r.Context(), req.Device, req.Values)
	if err != nil {
		return err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return writeJSON(w, StateResult{Device: d.FriendlyName, State: vals})
}

func (s *Server) serveBackup(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	b, err := h.Backup(r.Context())
	if err != nil {
		return err
	}
	s.log.Info("coordinator backup taken", "event", "backup", "devices", len(b.Devices))
	return writeJSON(w, b)
}

func (s *Server) serveRestore(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	b, err := zigbee.ParseBackup(data)
	if err != nil {
		return badRequest("%v", err)
	}
	if err := h.Restore(r.Context(), b); err != nil {
		return err
	}
	s.log.Info("coordinator backup restored", "event", "restore", "devices", len(b.Devices), "channel", int(b.Channel))
	return writeJSON(w, RestoreResult{Restored: true, Channel: int(b.Channel), PANID: zigbee.PANID(b.PANID).String(),
		ExtendedPANID: zigbee.ExtPANID(b.ExtPANID).String(), Devices: len(b.Devices)})
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, badRequest("request body: %v", err)
	}
	return b, nil
}
