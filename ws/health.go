package ws

import (
	"maps"
	"sort"
	"sync"
	"time"
)

// Component states reported in /health.
const (
	StateStarting = "starting"
	StateOK       = "ok"
	StateDegraded = "degraded" // running with a problem (e.g. coordinator reconnecting)
	StateError    = "error"    // failed
	StateDisabled = "disabled" // not configured or not built yet
)

// Overall statuses of /health.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	StatusStarting = "starting"
)

// ComponentHealth is one component's entry in /health.
type ComponentHealth struct {
	State     string         `json:"state"`
	LastError string         `json:"last_error,omitempty"`
	Since     time.Time      `json:"since"`
	Detail    map[string]any `json:"detail,omitempty"`
}

// HealthReport is the body of GET /health.
type HealthReport struct {
	Status     string                     `json:"status"`
	Version    string                     `json:"version"`
	UptimeS    float64                    `json:"uptime_s"`
	Components map[string]ComponentHealth `json:"components"`
	// Connections counts open WebSocket connections (0 without a gateway).
	Connections int `json:"connections"`
	// Clients lists them (token name, remote address, start); only a
	// request that carries a valid token sees it.
	Clients []ClientInfo `json:"clients,omitempty"`
}

// HealthTracker collects component states. It is safe for concurrent use.
type HealthTracker struct {
	mu    sync.Mutex
	start time.Time
	comps map[string]ComponentHealth
	now   func() time.Time
}

// NewHealthTracker returns a tracker with the given components in state
// "starting".
func NewHealthTracker(components ...string) *HealthTracker {
	h := &HealthTracker{start: time.Now(), comps: map[string]ComponentHealth{}, now: time.Now}
	for _, c := range components {
		h.comps[c] = ComponentHealth{State: StateStarting, Since: h.start}
	}
	return h
}

// Set records a component's state. A nil err keeps the last error message
// (so /health still shows why the coordinator was down before it recovered)
// unless the state is ok.
func (h *HealthTracker) Set(component, state string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.comps[component]
	if c.State != state {
		c.Since = h.now()
	}
	c.State = state
	if err != nil {
		c.LastError = err.Error()
	}
	h.comps[component] = c
}

// SetDetail attaches a detail value (e.g. the coordinator's channel) to a component.
func (h *HealthTracker) SetDetail(component, key string, v any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.comps[component]
	if c.Detail == nil {
		c.Detail = map[string]any{}
	}
	c.Detail[key] = v
	h.comps[component] = c
}

// Report returns the overall status: starting while any component starts,
// degraded while any is degraded or failed, ok otherwise.
func (h *HealthTracker) Report(version string) HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := HealthReport{Status: StatusOK, Version: version, UptimeS: h.now().Sub(h.start).Seconds(),
		Components: make(map[string]ComponentHealth, len(h.comps))}
	names := make([]string, 0, len(h.comps))
	for n := range h.comps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := h.comps[n]
		c.Detail = maps.Clone(c.Detail)
		r.Components[n] = c
		switch c.State {
		case StateStarting:
			if r.Status == StatusOK {
				r.Status = StatusStarting
			}
		case StateDegraded, StateError:
			r.Status = StatusDegraded
		}
	}
	return r
}
