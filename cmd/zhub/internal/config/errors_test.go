package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// TestErrors: every problem a user can make produces a one-line *Error naming the file and
// line (or the environment variable), the key, and what is allowed.
func TestErrors(t *testing.T) {
	const literalKey = "00112233445566778899aabbccddeeff"
	tests := []struct {
		name     string
		file     string
		env      map[string]string
		validate bool  // the problem is found by Validate, not Load
		kind     error // sentinel
		line     int   // 0: the error names an environment variable instead
		envVar   string
		key      string
		msg      string   // exact message, if set
		contains []string // substrings of the message
		absent   []string // must not appear anywhere in the error text
	}{
		{
			name: "syntax error", file: "[zigbee]\nchannel = \n",
			kind: ErrSyntax, line: 2, contains: []string{"syntax error", "expected value"},
		},
		{
			name: "syntax error in table header", file: "# c\n[zigbee\nchannel = 11\n",
			kind: ErrSyntax, line: 2, contains: []string{"syntax error"},
		},
		{
			name: "duplicate key", file: "[http]\nlisten = \"a:1\"\nlisten = \"b:2\"\n",
			kind: ErrSyntax, line: 3, contains: []string{"already been defined"},
		},
		{
			name: "unquoted literal key is a syntax error that does not echo it",
			file: "[zigbee]\nnetwork_key = " + literalKey + "\n",
			kind: ErrSyntax, line: 2, absent: []string{"0011223344556677"},
		},
		{
			name: "unknown key with suggestion", file: "[zigbee]\nchannel = 15\nchanel = 15\n",
			kind: ErrUnknownKey, line: 3, key: "zigbee.chanel",
			msg: "unknown key; did you mean zigbee.channel?",
		},
		{
			name: "key in the wrong section", file: "[serial]\nadapter = \"sim\"\n\nchannel = 15\n",
			kind: ErrUnknownKey, line: 4, key: "serial.channel", contains: []string{"did you mean zigbee.channel?"},
		},
		{
			name: "unknown table", file: "[zigbe]\nchannel = 15\n",
			kind: ErrUnknownKey, line: 1, key: "zigbe", contains: []string{"did you mean zigbee?"},
		},
		{
			name: "top-level key that belongs in two sections", file: "listen = \"x\"\n",
			kind: ErrUnknownKey, line: 1, key: "listen", contains: []string{"did you mean mqtt.listen or http.listen?"},
		},
		{
			name: "unknown key without a close match", file: "[mqtt]\n\n\nfrobnicate_everything = 1\n",
			kind: ErrUnknownKey, line: 4, key: "mqtt.frobnicate_everything", contains: []string{"config.example.toml"},
		},
		{
			name: "upper-case key is unknown", file: "[zigbee]\nChannel = 15\n",
			kind: ErrUnknownKey, line: 2, key: "zigbee.Channel", contains: []string{"did you mean zigbee.channel?"},
		},
		{
			name: "unknown key as a dotted key", file: "zigbee.chanel = 15\n",
			kind: ErrUnknownKey, line: 1, key: "zigbee.chanel", contains: []string{"did you mean zigbee.channel?"},
		},
		{
			name: "string where an integer belongs", file: "[zigbee]\nchannel = \"eleven\"\n",
			kind: ErrType, line: 2, key: "zigbee.channel", msg: "wrong type: got string, want an integer",
		},
		{
			name: "float where an integer belongs", file: "[serial]\nbaud = 115200.0\n",
			kind: ErrType, line: 2, key: "serial.baud", msg: "wrong type: got float, want an integer",
		},
		{
			name: "string where a boolean belongs", file: "[serial]\nrtscts = \"yes\"\n",
			kind: ErrType, line: 2, key: "serial.rtscts", contains: []string{"got string, want a boolean"},
		},
		{
			name: "value where a table belongs", file: "serial = \"/dev/ttyUSB0\"\n",
			kind: ErrType, line: 1, key: "serial", contains: []string{"want a table ([serial])"},
		},
		{
			name: "list of integers where strings belong", file: "[mcp]\nguarded_tools = [1, 2]\n",
			kind: ErrType, line: 2, key: "mcp.guarded_tools", contains: []string{"the list holds a integer"},
		},
		{
			name: "multi-line array does not confuse the line scanner",
			file: "[http]\nallowed_origins = [\n  \"x = 1\",\n]\n[llm]\ntimeout = 3\n",
			kind: ErrType, line: 6, key: "llm.timeout", contains: []string{`want a duration string such as "60s"`},
		},
		{
			name: "bad duration", file: "[llm]\ntimeout = \"soon\"\n",
			kind: ErrInvalid, line: 2, key: "llm.timeout", contains: []string{`"soon" is not a duration`, `"60s"`},
		},
		{
			name: "channel out of range", file: "# radio\n[zigbee]\n\nchannel = 27\n", validate: true,
			kind: ErrInvalid, line: 4, key: "zigbee.channel", msg: "27 is outside 11–26 (allowed: 11 to 26)",
		},
		{
			name: "channel out of range from the environment", file: "[zigbee]\nchannel = 15\n", validate: true,
			env:  map[string]string{"ZHUB_ZIGBEE_CHANNEL": "10"},
			kind: ErrInvalid, envVar: "ZHUB_ZIGBEE_CHANNEL", key: "zigbee.channel", msg: "10 is outside 11–26 (allowed: 11 to 26)",
		},
		{
			name: "malformed PAN id", file: "[zigbee]\npan_id = \"0xZZ\"\n",
			kind: ErrInvalid, line: 2, key: "zigbee.pan_id", contains: []string{`"0xZZ" is not a PAN id`, "0x0001 to 0xFFFE"},
		},
		{
			name: "PAN id out of range", file: "[zigbee]\npan_id = 0xFFFF\n",
			kind: ErrInvalid, line: 2, key: "zigbee.pan_id", contains: []string{"outside 0x0001–0xFFFE", `"generate"`},
		},
		{
			name: "malformed extended PAN id", file: "[zigbee]\nextended_pan_id = \"00:12:4b\"\n",
			kind: ErrInvalid, line: 2, key: "zigbee.extended_pan_id", contains: []string{"not an extended PAN id", "16 hex digits"},
		},
		{
			name: "reserved extended PAN id", file: "[zigbee]\nextended_pan_id = \"0000000000000000\"\n",
			kind: ErrInvalid, line: 2, key: "zigbee.extended_pan_id", contains: []string{"reserved"},
		},
		{
			name: "literal network key", file: "[zigbee]\nnetwork_key = \"" + literalKey + "\"\n",
			kind: ErrLiteralSecret, line: 2, key: "zigbee.network_key",
			contains: []string{"literal network key", "env:", "file:"}, absent: []string{literalKey, "0011223344556677"},
		},
		{
			name: "literal network key with colons", file: "[zigbee]\nnetwork_key = \"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\"\n",
			kind: ErrLiteralSecret, line: 2, key: "zigbee.network_key", absent: []string{"00:11:22:33"},
		},
		{
			name: "network key that is neither reference nor hex is not echoed", file: "[zigbee]\nnetwork_key = \"c2VjcmV0LWtleS1iYXNlNjQ=\"\n",
			kind: ErrInvalid, line: 2, key: "zigbee.network_key",
			contains: []string{`"generate", "env:VARNAME" or "file:/path"`}, absent: []string{"c2VjcmV0"},
		},
		{
			name: "network key as an array of bytes", file: "[zigbee]\nnetwork_key = [1, 2, 3]\n",
			kind: ErrType, line: 2, key: "zigbee.network_key", contains: []string{"got array, want a string"},
		},
		{
			name: "bad adapter", file: "[serial]\nadapter = \"zstack\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "serial.adapter", msg: `"zstack" is not an adapter (allowed: sim, znp, ezsp)`,
		},
		{
			name: "port required for znp", file: "[serial]\nadapter = \"znp\"\n", validate: true,
			kind: ErrRequired, line: 2, key: "serial.port", contains: []string{`required when serial.adapter is "znp"`},
		},
		{
			name: "port required for ezsp set from env", file: "", validate: true,
			env:  map[string]string{"ZHUB_SERIAL_ADAPTER": "ezsp"},
			kind: ErrRequired, envVar: "ZHUB_SERIAL_ADAPTER", key: "serial.port", contains: []string{"required"},
		},
		{
			name: "port set but adapter left at sim", file: "[serial]\nport = \"/dev/ttyUSB0\"\n", validate: true,
			kind: ErrRequired, line: 2, key: "serial.adapter", contains: []string{`"znp"`, `"ezsp"`},
		},
		{
			name: "port that is neither device nor tcp", file: "[serial]\nadapter = \"znp\"\nport = \"ttyUSB0\"\n", validate: true,
			kind: ErrInvalid, line: 3, key: "serial.port", contains: []string{"tcp://host:port"},
		},
		{
			name: "tcp port without port number", file: "[serial]\nadapter = \"ezsp\"\nport = \"tcp://slzb\"\n", validate: true,
			kind: ErrInvalid, line: 3, key: "serial.port", contains: []string{"tcp://host:port"},
		},
		{
			name: "zero baud", file: "[serial]\nbaud = 0\n", validate: true,
			kind: ErrInvalid, line: 2, key: "serial.baud", contains: []string{"not a positive baud rate"},
		},
		{
			name: "bad provider", file: "[llm]\nprovider = \"gpt\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "llm.provider", msg: `"gpt" is not a provider (allowed: rules, openai, anthropic, ollama)`,
		},
		{
			name: "bad log level", file: "[log]\nlevel = \"verbose\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "log.level", msg: `"verbose" is not a log level (allowed: info, debug, warn, error)`,
		},
		{
			name: "bad log format", file: "[log]\nformat = \"xml\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "log.format", msg: `"xml" is not a log format (allowed: auto, json, text)`,
		},
		{
			name: "bad guarded tool", file: "[mcp]\nguarded_tools = [\"permit_join\", \"reboot\"]\n", validate: true,
			kind: ErrInvalid, line: 2, key: "mcp.guarded_tools", contains: []string{`"reboot"`, "allowed: permit_join, rename_device, remove_device"},
		},
		{
			name: "wildcard in base topic", file: "[mqtt]\nbase_topic = \"zhub/#\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "mqtt.base_topic", contains: []string{"wildcard"},
		},
		{
			name: "trailing slash in base topic", file: "[mqtt]\nbase_topic = \"zhub/\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "mqtt.base_topic", contains: []string{"must not start or end with /"},
		},
		{
			name: "discovery prefix equal to base topic", file: "[mqtt]\nbase_topic = \"ha\"\nha_discovery_prefix = \"ha\"\n", validate: true,
			kind: ErrInvalid, line: 3, key: "mqtt.ha_discovery_prefix", contains: []string{"must differ"},
		},
		{
			name: "broker URL with password", file: "[mqtt]\nurl = \"mqtt://user:hunter2@broker:1883\"\n", validate: true,
			kind: ErrLiteralSecret, line: 2, key: "mqtt.url", contains: []string{"password_env"}, absent: []string{"hunter2"},
		},
		{
			name: "broker URL with unknown scheme", file: "[mqtt]\nurl = \"http://broker:1883\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "mqtt.url", contains: []string{"allowed: mqtt, mqtts, tcp, ssl, ws, wss"},
		},
		{
			name: "password_env holding something that is not a name", file: "[mqtt]\npassword_env = \"hunter2!\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "mqtt.password_env", absent: []string{"hunter2"},
		},
		{
			name: "bad http listen", file: "[http]\nlisten = \"8480\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "http.listen", contains: []string{"host:port"},
		},
		{
			name: "wildcard origin", file: "[http]\nallowed_origins = [\"*\"]\n", validate: true,
			kind: ErrInvalid, line: 2, key: "http.allowed_origins", contains: []string{"wildcards are not allowed"},
		},
		{
			name: "origin with a path", file: "[http]\nallowed_origins = [\"http://ha.local:8123/lovelace\"]\n", validate: true,
			kind: ErrInvalid, line: 2, key: "http.allowed_origins", contains: []string{"not an origin"},
		},
		{
			name: "zero timeout", file: "[llm]\ntimeout = \"0s\"\n", validate: true,
			kind: ErrInvalid, line: 2, key: "llm.timeout", contains: []string{"not positive"},
		},
		{
			name: "too many tool iterations", file: "[llm]\nmax_tool_iterations = 1000\n", validate: true,
			kind: ErrInvalid, line: 2, key: "llm.max_tool_iterations", contains: []string{"outside 1–100"},
		},
		{
			name: "bad integer in the environment", file: "[zigbee]\nchannel = 15\n",
			env:  map[string]string{"ZHUB_ZIGBEE_CHANNEL": "eleven"},
			kind: ErrInvalid, envVar: "ZHUB_ZIGBEE_CHANNEL", key: "zigbee.channel", msg: `"eleven" is not an integer`,
		},
		{
			name: "bad boolean in the environment", file: "",
			env:  map[string]string{"ZHUB_MQTT_RETAIN": "maybe"},
			kind: ErrInvalid, envVar: "ZHUB_MQTT_RETAIN", key: "mqtt.retain", contains: []string{"not a boolean"},
		},
		{
			name: "bad duration in the environment", file: "",
			env:  map[string]string{"ZHUB_LLM_TIMEOUT": "60"},
			kind: ErrInvalid, envVar: "ZHUB_LLM_TIMEOUT", key: "llm.timeout", contains: []string{"not a duration"},
		},
		{
			name: "literal network key in the environment override", file: "",
			env:  map[string]string{"ZHUB_ZIGBEE_NETWORK_KEY": literalKey},
			kind: ErrLiteralSecret, envVar: "ZHUB_ZIGBEE_NETWORK_KEY", key: "zigbee.network_key", absent: []string{literalKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, path, err := loadText(t, tt.file, tt.env)
			if tt.validate {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				err = cfg.Validate()
			}
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			if strings.Contains(text, "\n") {
				t.Errorf("error spans several lines:\n%s", text)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(%v) = false for %q", tt.kind, text)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("not an *Error: %T %q", err, text)
			}
			var wantPrefix string
			if tt.envVar != "" {
				if e.Env != tt.envVar {
					t.Errorf("Env = %q, want %q", e.Env, tt.envVar)
				}
				wantPrefix = "env " + tt.envVar + ": "
			} else {
				if e.File != path || e.Line != tt.line {
					t.Errorf("at %s:%d, want %s:%d (%q)", e.File, e.Line, path, tt.line, text)
				}
				wantPrefix = fmt.Sprintf("%s:%d: ", path, tt.line)
			}
			if e.Key != tt.key {
				t.Errorf("Key = %q, want %q", e.Key, tt.key)
			}
			if tt.key != "" {
				wantPrefix += tt.key + ": "
			}
			if !strings.HasPrefix(text, wantPrefix) {
				t.Errorf("error %q does not start with %q", text, wantPrefix)
			}
			if tt.msg != "" && text != wantPrefix+tt.msg {
				t.Errorf("error\n got %q\nwant %q", text, wantPrefix+tt.msg)
			}
			for _, s := range tt.contains {
				if !strings.Contains(text, s) {
					t.Errorf("error %q does not contain %q", text, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(text, s) {
					t.Errorf("error %q contains %q", text, s)
				}
			}
		})
	}
}

// TestSeveralProblems: all problems of one kind are reported at once, in file order, one
// per line.
func TestSeveralProblems(t *testing.T) {
	t.Run("unknown keys", func(t *testing.T) {
		_, path, err := loadText(t, "[zigbee]\nchanel = 15\n[mqtt]\nbase_topik = \"x\"\n[log]\nlevle = \"debug\"\n", nil)
		if err == nil {
			t.Fatal("no error")
		}
		got := errLines(t, err)
		want := []string{
			path + ":2: zigbee.chanel: unknown key; did you mean zigbee.channel?",
			path + ":4: mqtt.base_topik: unknown key; did you mean mqtt.base_topic?",
			path + ":6: log.levle: unknown key; did you mean log.level?",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("validation", func(t *testing.T) {
		cfg, _, err := loadText(t, "[zigbee]\nchannel = 5\n[log]\nlevel = \"loud\"\nformat = \"xml\"\n", nil)
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Validate()
		if err == nil {
			t.Fatal("no error")
		}
		if n := len(errLines(t, err)); n != 3 {
			t.Errorf("got %d problems, want 3:\n%v", n, err)
		}
	})
}

// TestUnreadableFile: an explicitly named file that cannot be read is an error.
func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		is   error
		msg  string
	}{
		{"missing", dir + "/nope.toml", fs.ErrNotExist, "no such file or directory (named by --config)"},
		{"directory", dir, nil, "is a directory (named by --config)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, src, err := Load(LoadOptions{Flag: tt.path, Getenv: envMap(nil), SystemPath: dir + "/absent"})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrUnreadable) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("wrong kind: %v", err)
			}
			want := tt.path + ": cannot read configuration file: " + tt.msg
			if err.Error() != want {
				t.Errorf("got  %q\nwant %q", err.Error(), want)
			}
			if src.Path != tt.path || !src.FromFile {
				t.Errorf("source = %+v", src)
			}
		})
	}
}
