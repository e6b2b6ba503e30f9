package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error this package returns wraps one of them (usually inside an
// *Error that says where the value came from), so callers branch with errors.Is.
var (
	// ErrSyntax: the configuration file is not valid TOML.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownKey: the file names a key zhub does not know, usually a typo.
	ErrUnknownKey = errors.New("unknown key")
	// ErrType: a value has the wrong TOML type, e.g. a string where an integer belongs.
	ErrType = errors.New("wrong type")
	// ErrInvalid: a value has the right type but is malformed, out of range or not one of
	// the allowed values.
	ErrInvalid = errors.New("invalid value")
	// ErrRequired: a value that the rest of the configuration makes mandatory is missing.
	ErrRequired = errors.New("required value missing")
	// ErrLiteralSecret: a secret was written into the configuration instead of being
	// referenced through an environment variable or a file.
	ErrLiteralSecret = errors.New("literal secret in configuration")
	// ErrUnreadable: the configuration file could not be read.
	ErrUnreadable = errors.New("cannot read configuration file")
	// ErrSecretNotSet: a secret reference names an environment variable that is unset or
	// empty.
	ErrSecretNotSet = errors.New("secret not set")
	// ErrSecretInvalid: a secret resolves, but its content is unusable (for example a
	// network key that is not 16 bytes of hex).
	ErrSecretInvalid = errors.New("secret invalid")
	// ErrNotWritable: the data directory cannot be created or written.
	ErrNotWritable = errors.New("data directory not writable")
	// ErrListen: a listen address cannot be bound.
	ErrListen = errors.New("cannot listen")
	// ErrDevice: the serial device is missing or not accessible.
	ErrDevice = errors.New("serial device unusable")
)

// Error is one configuration problem, located as precisely as the package can: a file and
// line, or the environment variable that set the value. Its Error method renders exactly
// one line, e.g.
//
//	/etc/zhub/config.toml:12: zigbee.channel: 27 is outside 11–26 (allowed: 11 to 26)
//	env ZHUB_ZIGBEE_CHANNEL: zigbee.channel: "eleven" is not an integer
//	config: data_dir: /x: not writable: permission denied (set data_dir or ZHUB_DATA_DIR)
//
// Several problems are returned with errors.Join, one *Error per line.
type Error struct {
	File string // configuration file, "" when the value did not come from a file
	Line int    // 1-based line in File, 0 when unknown
	Env  string // environment variable that set the value, "" when none
	Key  string // dotted key, e.g. "zigbee.channel"; "" for whole-file problems
	Msg  string // what is wrong and, where possible, what is allowed
	Err  error  // cause; wraps one of the ErrXxx sentinels
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Env != "":
		b.WriteString("env ")
		b.WriteString(e.Env)
	case e.File != "":
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	default:
		b.WriteString("config")
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, ErrInvalid) and friends work.
func (e *Error) Unwrap() error { return e.Err }

// oneLine keeps the promise that every problem renders on one line, whatever text a
// library or a user value brought in.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// problem is a message plus the sentinel it belongs to. Value parsers return it so that the
// caller, which knows the location, can wrap it into an *Error.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }

func problemf(kind error, format string, args ...any) error {
	return &problem{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// joinErrors returns nil, the single error itself (so errors.As finds it directly and the
// text has no newline), or errors.Join of all of them.
func joinErrors[E error](errs []E) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}
