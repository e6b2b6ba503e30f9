package config

import (
	"log/slog"
	"path/filepath"
	"slices"
	"time"
)

// Allowed values of the enumerated keys.
const (
	AdapterSim  = "sim"  // simulated coordinator with virtual devices (zigbee/sim)
	AdapterZNP  = "znp"  // Texas Instruments Z-Stack dongles (CC2652, CC1352)
	AdapterEZSP = "ezsp" // Silicon Labs EmberZNet dongles (EFR32)

	ProviderRules     = "rules" // offline, rule-based chat
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderOllama    = "ollama"

	LogFormatAuto = "auto" // text when stderr is a terminal, JSON otherwise
	LogFormatJSON = "json"
	LogFormatText = "text"

	GuardPermitJoin   = "permit_join"
	GuardRenameDevice = "rename_device"
	GuardRemoveDevice = "remove_device"
)

var (
	adapters     = []string{AdapterSim, AdapterZNP, AdapterEZSP}
	providers    = []string{ProviderRules, ProviderOpenAI, ProviderAnthropic, ProviderOllama}
	logLevels    = []string{"info", "debug", "warn", "error"}
	logFormats   = []string{LogFormatAuto, LogFormatJSON, LogFormatText}
	guardedTools = []string{GuardPermitJoin, GuardRenameDevice, GuardRemoveDevice}
	brokerURLs   = []string{"mqtt", "mqtts", "tcp", "ssl", "ws", "wss"}
)

// Config is zhub's whole configuration. Field tags give the TOML key; the environment
// override of every key is derived from them (see the package documentation). The
// `secret` tag marks fields that refer to secrets, so that rendering and logging treat them
// with care: "env" (the name of an environment variable), "ref" (a SecretRef), "url" (a URL
// whose password part must never be shown).
//
// A Config from Load carries, unexported, where each value came from (file line or
// environment variable) and the getenv function used to resolve secrets. A Config built by
// hand works too: errors then carry no location and secrets resolve with os.Getenv.
type Config struct {
	// DataDir holds the database and other state. Load fills it when it is empty:
	// $STATE_DIRECTORY (set by systemd), else $XDG_STATE_HOME/zhub, else
	// ~/.local/state/zhub. It stays empty only when none of those is known.
	DataDir string `toml:"data_dir"`
	// Socket is the local API's unix socket, used by the zhub CLI; empty means
	// <data_dir>/zhub.sock (see SocketPath).
	Socket string       `toml:"socket"`
	Serial SerialConfig `toml:"serial"`
	Zigbee ZigbeeConfig `toml:"zigbee"`
	MQTT   MQTTConfig   `toml:"mqtt"`
	HTTP   HTTPConfig   `toml:"http"`
	LLM    LLMConfig    `toml:"llm"`
	MCP    MCPConfig    `toml:"mcp"`
	Log    LogConfig    `toml:"log"`

	meta *meta
}

// SerialConfig selects the coordinator and how to reach it.
type SerialConfig struct {
	Port    string `toml:"port"`    // /dev/..., /dev/serial/by-id/... or tcp://host:port; required unless Adapter is "sim"
	Adapter string `toml:"adapter"` // AdapterSim, AdapterZNP or AdapterEZSP
	Baud    int    `toml:"baud"`
	RTSCTS  bool   `toml:"rtscts"` // hardware flow control
}

// ZigbeeConfig holds the network parameters used when zhub forms a network.
type ZigbeeConfig struct {
	Channel       int           `toml:"channel"` // 11 to 26
	PANID         PANID         `toml:"pan_id"`
	ExtendedPANID ExtendedPANID `toml:"extended_pan_id"`
	NetworkKey    SecretRef     `toml:"network_key" secret:"ref"` // resolve with Config.NetworkKey
}

// MQTTConfig configures the MQTT bridge and the embedded broker.
type MQTTConfig struct {
	Enabled           bool   `toml:"enabled"`
	URL               string `toml:"url" secret:"url"` // "" runs the embedded broker on Listen
	Listen            string `toml:"listen"`           // the embedded broker's address
	BaseTopic         string `toml:"base_topic"`
	Username          string `toml:"username"`
	PasswordEnv       string `toml:"password_env" secret:"env"` // resolve with Config.MQTTPassword
	ClientID          string `toml:"client_id"`                 // "" lets the bridge generate one
	Retain            bool   `toml:"retain"`
	HADiscovery       bool   `toml:"ha_discovery"`
	HADiscoveryPrefix string `toml:"ha_discovery_prefix"`
}

// HTTPConfig configures the web UI, WebSocket and local API server.
type HTTPConfig struct {
	Listen         string   `toml:"listen"`          // "" turns the HTTP server off
	AllowedOrigins []string `toml:"allowed_origins"` // empty: same origin only
}

// LLMConfig selects the chat provider.
type LLMConfig struct {
	Provider          string        `toml:"provider"`
	Model             string        `toml:"model"`                    // "" = the provider's default
	BaseURL           string        `toml:"base_url" secret:"url"`    // "" = the provider's default
	APIKeyEnv         string        `toml:"api_key_env" secret:"env"` // resolve with Config.LLMAPIKey
	Timeout           time.Duration `toml:"timeout"`
	MaxToolIterations int           `toml:"max_tool_iterations"`
}

// MCPConfig configures the MCP server.
type MCPConfig struct {
	Enabled      bool     `toml:"enabled"`
	GuardedTools []string `toml:"guarded_tools"` // guarded MCP tools to offer (off unless listed; each asks for confirmation)
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `toml:"level"`  // "debug", "info", "warn" or "error"
	Format string `toml:"format"` // LogFormatAuto, LogFormatJSON or LogFormatText
}

// Default returns the built-in configuration: the simulated coordinator, the embedded MQTT
// broker, the offline rules chat provider and the web UI on 127.0.0.1. DataDir is empty;
// Load chooses it.
func Default() Config {
	return Config{
		Serial: SerialConfig{Adapter: AdapterSim, Baud: 115200},
		Zigbee: ZigbeeConfig{Channel: 11, NetworkKey: KeyGenerate},
		MQTT: MQTTConfig{
			Enabled:           true,
			Listen:            "127.0.0.1:1883",
			BaseTopic:         "zhub",
			Retain:            true,
			HADiscovery:       true,
			HADiscoveryPrefix: "homeassistant",
		},
		HTTP: HTTPConfig{Listen: "127.0.0.1:8480"},
		LLM:  LLMConfig{Provider: ProviderRules, Timeout: 60 * time.Second, MaxToolIterations: 8},
		MCP:  MCPConfig{Enabled: true},
		Log:  LogConfig{Level: "info", Format: LogFormatAuto},
	}
}

// SlogLevel returns the level as a slog.Level (info for anything unknown; Validate rejects
// unknown levels).
func (l LogConfig) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// JSON reports whether logs should be JSON, given whether stderr is a terminal.
func (l LogConfig) JSON(stderrIsTerminal bool) bool {
	switch l.Format {
	case LogFormatJSON:
		return true
	case LogFormatText:
		return false
	}
	return !stderrIsTerminal
}

// Guarded reports whether the guarded MCP tool is offered (listed in
// guarded_tools); an offered guarded tool still acts only with confirm: true.
func (m MCPConfig) Guarded(tool string) bool {
	return slices.Contains(m.GuardedTools, tool)
}

// EmbeddedBroker reports whether zhub runs its own MQTT broker on Listen.
func (m MQTTConfig) EmbeddedBroker() bool { return m.Enabled && m.URL == "" }

// SocketPath is where the daemon serves its local API: Socket, else
// <data_dir>/zhub.sock.
func (c Config) SocketPath() string {
	if c.Socket != "" {
		return c.Socket
	}
	if c.DataDir == "" {
		return ""
	}
	return filepath.Join(c.DataDir, "zhub.sock")
}
