package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Validate runs the static checks: ranges, formats, allowed values, keys that the rest of
// the configuration makes mandatory. It needs nothing from the OS. Each problem is an
// *Error located at the file line or environment variable the value came from; several are
// joined with errors.Join, one per line.
func (c *Config) Validate() error {
	v := validator{c: c}

	// [serial]
	s := c.Serial
	if v.oneOf("serial.adapter", s.Adapter, adapters, "an adapter") {
		switch {
		case s.Adapter != AdapterSim && s.Port == "":
			v.failAt("serial.port", "serial.adapter", ErrRequired,
				"required when serial.adapter is %q: set it to the dongle, e.g. /dev/serial/by-id/usb-..., or tcp://host:port", s.Adapter)
		case s.Adapter == AdapterSim && s.Port != "":
			v.failAt("serial.adapter", "serial.port", ErrRequired,
				`is "sim" (the simulator) but serial.port is set: set adapter to "znp" (Texas Instruments) or "ezsp" (Silicon Labs) to use the dongle`)
		}
	}
	if s.Port != "" {
		if rest, ok := strings.CutPrefix(s.Port, "tcp://"); ok {
			if err := checkHostPort(rest, false); err != nil {
				v.fail("serial.port", ErrInvalid, "%q: %v (want tcp://host:port)", s.Port, err)
			}
		} else if !filepath.IsAbs(s.Port) {
			v.fail("serial.port", ErrInvalid, "%q is neither a device path (/dev/ttyUSB0, /dev/serial/by-id/...) nor tcp://host:port", s.Port)
		}
	}
	if s.Baud <= 0 {
		v.fail("serial.baud", ErrInvalid, "%d is not a positive baud rate (usually 115200)", s.Baud)
	}

	// [zigbee]
	z := c.Zigbee
	if z.Channel < 11 || z.Channel > 26 {
		v.fail("zigbee.channel", ErrInvalid, "%d is outside 11–26 (allowed: 11 to 26)", z.Channel)
	}
	if z.PANID == 0xFFFF {
		v.fail("zigbee.pan_id", ErrInvalid, "0xFFFF is the broadcast PAN %s", panIDAllowed)
	}
	if z.ExtendedPANID == ^ExtendedPANID(0) {
		v.fail("zigbee.extended_pan_id", ErrInvalid, "ff:ff:ff:ff:ff:ff:ff:ff is reserved %s", extPANIDAllowed)
	}
	if err := z.NetworkKey.check(); err != nil {
		v.failErr("zigbee.network_key", err)
	}

	// [mqtt]
	m := c.MQTT
	if m.URL != "" {
		v.brokerURL(m.URL)
	}
	if m.EmbeddedBroker() {
		if err := checkHostPort(m.Listen, true); err != nil {
			v.fail("mqtt.listen", ErrInvalid, "%q: %v (want host:port, e.g. 127.0.0.1:1883)", m.Listen, err)
		}
	}
	v.topic("mqtt.base_topic", m.BaseTopic)
	v.topic("mqtt.ha_discovery_prefix", m.HADiscoveryPrefix)
	if m.HADiscovery && m.HADiscoveryPrefix == m.BaseTopic && m.BaseTopic != "" {
		v.fail("mqtt.ha_discovery_prefix", ErrInvalid, "must differ from mqtt.base_topic (%q)", m.BaseTopic)
	}
	v.envName("mqtt.password_env", m.PasswordEnv)

	// [http]
	h := c.HTTP
	if h.Listen != "" {
		if err := checkHostPort(h.Listen, true); err != nil {
			v.fail("http.listen", ErrInvalid, `%q: %v (want host:port, e.g. 127.0.0.1:8480; "" turns the HTTP server off)`, h.Listen, err)
		} else if m.EmbeddedBroker() && h.Listen == m.Listen {
			v.fail("http.listen", ErrInvalid, "%q is also mqtt.listen; they need different ports", h.Listen)
		}
	}
	for _, o := range h.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			v.fail("http.allowed_origins", ErrInvalid, "%q: %v", o, err)
		}
	}

	// [llm]
	l := c.LLM
	v.oneOf("llm.provider", l.Provider, providers, "a provider")
	if l.BaseURL != "" {
		v.httpURL("llm.base_url", l.BaseURL)
	}
	v.envName("llm.api_key_env", l.APIKeyEnv)
	if l.Timeout <= 0 {
		v.fail("llm.timeout", ErrInvalid, "%s is not positive (e.g. \"60s\")", l.Timeout)
	}
	if l.MaxToolIterations < 1 || l.MaxToolIterations > 100 {
		v.fail("llm.max_tool_iterations", ErrInvalid, "%d is outside 1–100", l.MaxToolIterations)
	}

	// [mcp]
	for _, t := range c.MCP.GuardedTools {
		v.oneOf("mcp.guarded_tools", t, guardedTools, "a guardable tool")
	}

	// [log]
	v.oneOf("log.level", c.Log.Level, logLevels, "a log level")
	v.oneOf("log.format", c.Log.Format, logFormats, "a log format")

	return joinErrors(v.errs)
}

type validator struct {
	c    *Config
	errs []*Error
}

// origin returns where key's value came from.
func (c *Config) origin(key string) origin {
	if c.meta == nil {
		return origin{}
	}
	return c.meta.origins[key]
}

// errAt builds an *Error for key, located where the value of the key at came from.
func (c *Config) errAt(key, at string, err error) *Error {
	o := c.origin(at)
	return &Error{File: o.file, Line: o.line, Env: o.env, Key: key, Msg: err.Error(), Err: err}
}

func (v *validator) failErr(key string, err error) {
	v.errs = append(v.errs, v.c.errAt(key, key, err))
}

func (v *validator) fail(key string, kind error, format string, args ...any) {
	v.failErr(key, problemf(kind, format, args...))
}

// failAt reports a problem with key that was caused by the value of another key, located
// where that key is set when key itself is not set anywhere.
func (v *validator) failAt(key, at string, kind error, format string, args ...any) {
	if v.c.origin(key) != (origin{}) {
		at = key
	}
	v.errs = append(v.errs, v.c.errAt(key, at, problemf(kind, format, args...)))
}

func (v *validator) oneOf(key, val string, allowed []string, what string) bool {
	if slices.Contains(allowed, val) {
		return true
	}
	v.fail(key, ErrInvalid, "%q is not %s (allowed: %s)", val, what, strings.Join(allowed, ", "))
	return false
}

// envName checks the name of an environment variable holding a secret. The value is not
// echoed: someone may have put the secret itself there.
func (v *validator) envName(key, name string) {
	if name != "" && !validEnvName(name) {
		v.fail(key, ErrInvalid, "not an environment variable name (letters, digits and _); it names the variable holding the secret, not the secret itself (the value is not shown)")
	}
}

// topic checks an MQTT topic prefix.
func (v *validator) topic(key, t string) {
	switch {
	case t == "":
		v.fail(key, ErrRequired, "must not be empty")
	case strings.ContainsAny(t, "+#"):
		v.fail(key, ErrInvalid, "%q contains an MQTT wildcard (+ or #)", t)
	case strings.HasPrefix(t, "/") || strings.HasSuffix(t, "/"):
		v.fail(key, ErrInvalid, "%q must not start or end with /", t)
	case strings.ContainsRune(t, 0):
		v.fail(key, ErrInvalid, "%q contains a NUL character", t)
	}
}

// brokerURL checks mqtt.url. A password in the URL is a literal secret.
func (v *validator) brokerURL(raw string) {
	const key = "mqtt.url"
	u, err := url.Parse(raw)
	if err != nil {
		v.fail(key, ErrInvalid, "not a URL (want e.g. mqtt://192.168.1.2:1883)")
		return
	}
	if _, ok := u.User.Password(); ok {
		v.fail(key, ErrLiteralSecret, "contains a password: put it in an environment variable and name that variable in mqtt.password_env (the value is not shown)")
		return
	}
	if !slices.Contains(brokerURLs, u.Scheme) {
		v.fail(key, ErrInvalid, "%q: scheme %q is not supported (allowed: %s)", raw, u.Scheme, strings.Join(brokerURLs, ", "))
		return
	}
	if u.Host == "" {
		v.fail(key, ErrInvalid, "%q has no host (want e.g. mqtt://192.168.1.2:1883)", raw)
	}
}

// httpURL checks an http(s) URL such as llm.base_url.
func (v *validator) httpURL(key, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		v.fail(key, ErrInvalid, "not a URL (want e.g. http://127.0.0.1:11434)")
		return
	}
	if _, ok := u.User.Password(); ok {
		v.fail(key, ErrLiteralSecret, "contains a password; use llm.api_key_env (the value is not shown)")
		return
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail(key, ErrInvalid, "%q is not an http:// or https:// URL with a host", raw)
	}
}

// checkHostPort checks host:port; emptyHost allows ":8480" (all interfaces).
func checkHostPort(s string, emptyHost bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("not host:port")
	}
	if host == "" && !emptyHost {
		return fmt.Errorf("no host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// checkOrigin checks a browser origin: scheme://host[:port], nothing more.
func checkOrigin(s string) error {
	if s == "*" {
		return fmt.Errorf("wildcards are not allowed; list each origin, e.g. http://192.168.1.10:8480")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("not an origin (want scheme://host[:port], e.g. http://192.168.1.10:8480)")
	}
	return nil
}
