// Package config loads, validates and renders zhub's configuration: a TOML file whose every
// key can be overridden from the environment. `zhub serve` and `zhub config check` use it.
//
// # Lookup order
//
// Load uses the first of:
//
//  1. the file named by the --config flag (LoadOptions.Flag);
//  2. the file named by $ZHUB_CONFIG;
//  3. /etc/zhub/config.toml (LoadOptions.SystemPath), if it exists;
//  4. no file: built-in defaults only (Default: the simulator, the embedded MQTT broker,
//     the offline rules chat provider, the web UI on 127.0.0.1:8480).
//
// A file named in 1 or 2 must be readable; a missing 3 is not an error, but an existing
// unreadable one is. The file is decoded over the defaults, so it only needs the keys it
// changes. config.example.toml at the repository root documents every key; a test keeps it
// complete.
//
// # Environment overrides
//
// Environment variables win over the file. Every key has one, derived from its TOML path:
// ZHUB_<SECTION>_<KEY> upper-cased (ZHUB_HTTP_LISTEN, ZHUB_ZIGBEE_CHANNEL,
// ZHUB_MQTT_BASE_TOPIC) and ZHUB_DATA_DIR for the top-level data_dir. Lists are
// comma-separated, booleans take strconv.ParseBool forms, durations Go's ("60s"). An empty
// variable counts as unset, so an override cannot set an empty value: use the file for
// that (e.g. http.listen = "" to turn the HTTP server off). A malformed value is an error
// naming the variable. The names come from the struct tags by reflection, so a new key
// gets its override automatically.
//
// When data_dir is empty after all that, Load chooses $STATE_DIRECTORY (set by systemd's
// StateDirectory=), else $XDG_STATE_HOME/zhub, else ~/.local/state/zhub.
//
// # Secrets
//
// The configuration never holds a secret, only where to find it, so the file can be shared,
// backed up and pasted into bug reports:
//
//   - mqtt.password_env and llm.api_key_env hold the NAME of an environment variable
//     (resolve with Config.MQTTPassword, Config.LLMAPIKey);
//   - zigbee.network_key is "generate", "env:VARNAME" or "file:/path" (Config.NetworkKey);
//     something that looks like a literal 128-bit key is rejected with a message saying to
//     move it to a variable or a file;
//   - a password embedded in mqtt.url or llm.base_url is rejected the same way.
//
// Secret values are read only when asked for, through the getenv given to Load. No error,
// Redacted output or LogValue ever contains one; where a reference is malformed (it might be
// the secret itself) the value is not echoed either.
//
// # Errors and checks
//
// Load reports what stops decoding: an unreadable file, a TOML syntax error (at the
// parser's line), unknown keys (from MetaData.Undecoded, located by scanning the file, with
// a "did you mean" suggestion), wrong types and unparsable values, and bad environment
// values. Config.Validate runs the remaining static checks; Config.CheckRuntime the ones
// that need the OS (data_dir writable, listen addresses free, serial device accessible).
// Every problem is an *Error that renders as one line, "file:line: key: message" or
// "env VAR: key: message", wraps one of the ErrXxx sentinels, and lists the allowed values
// where there is a list. Several problems are joined with errors.Join, one per line.
//
// A Config is a plain value: safe to copy and to read from many goroutines. Besides Load,
// only CheckRuntime, the secret resolvers and Redacted (which resolves each reference to
// say whether it works) touch the environment or the file system; Validate and LogValue
// do not.
package config
