package config

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Generate is the value of pan_id, extended_pan_id and network_key that lets zhub choose.
const Generate = "generate"

// PANID is a 16-bit Zigbee PAN identifier. The zero value means "generate": zhub picks an
// id when it forms the network. A fixed id is 0x0001 to 0xFFFE; 0xFFFF is the broadcast PAN
// and 0x0000 is what "generate" maps to, so neither can be chosen.
//
// In TOML it is "generate", a hex string ("0x1A62"), a decimal string or a TOML integer.
type PANID uint16

// Generate reports whether zhub should choose the PAN id.
func (p PANID) Generate() bool { return p == 0 }

func (p PANID) String() string {
	if p.Generate() {
		return Generate
	}
	return fmt.Sprintf("0x%04X", uint16(p))
}

// MarshalText implements encoding.TextMarshaler.
func (p PANID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PANID) UnmarshalText(b []byte) error {
	v, err := parsePANID(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

const panIDAllowed = `(allowed: "generate", or 0x0001 to 0xFFFE in hex or decimal)`

func parsePANID(s string) (PANID, error) {
	s = strings.TrimSpace(s)
	if s == Generate {
		return 0, nil
	}
	var (
		v   uint64
		err error
	)
	if h, ok := cutHexPrefix(s); ok {
		v, err = strconv.ParseUint(h, 16, 64)
	} else {
		v, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil {
		return 0, problemf(ErrInvalid, "%q is not a PAN id %s", s, panIDAllowed)
	}
	if v < 0x0001 || v > 0xFFFE {
		return 0, problemf(ErrInvalid, "%s is outside 0x0001–0xFFFE %s", s, panIDAllowed)
	}
	return PANID(v), nil
}

// ExtendedPANID is the 64-bit extended PAN id, most significant byte first as written (the
// wire order is little-endian; that is the driver's business). The zero value means
// "generate". All-zero and all-ones are reserved and cannot be chosen.
//
// In TOML it is "generate" or a string of 16 hex digits, with an optional 0x prefix and
// optional colons between bytes ("dd:dd:dd:dd:dd:dd:dd:dd").
type ExtendedPANID uint64

// Generate reports whether zhub should choose the extended PAN id.
func (e ExtendedPANID) Generate() bool { return e == 0 }

func (e ExtendedPANID) String() string {
	if e.Generate() {
		return Generate
	}
	var b strings.Builder
	for i := 7; i >= 0; i-- {
		fmt.Fprintf(&b, "%02x", byte(uint64(e)>>(8*i)))
		if i > 0 {
			b.WriteByte(':')
		}
	}
	return b.String()
}

// Bytes returns the id most significant byte first, as written.
func (e ExtendedPANID) Bytes() [8]byte {
	var b [8]byte
	for i := range b {
		b[i] = byte(uint64(e) >> (8 * (7 - i)))
	}
	return b
}

// MarshalText implements encoding.TextMarshaler.
func (e ExtendedPANID) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *ExtendedPANID) UnmarshalText(b []byte) error {
	v, err := parseExtendedPANID(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

const extPANIDAllowed = `(allowed: "generate", or 16 hex digits such as "dd:dd:dd:dd:dd:dd:dd:dd" or "0x00124b0012345678")`

func parseExtendedPANID(s string) (ExtendedPANID, error) {
	s = strings.TrimSpace(s)
	if s == Generate {
		return 0, nil
	}
	h, _ := cutHexPrefix(s)
	h = strings.ReplaceAll(h, ":", "")
	if len(h) != 16 {
		return 0, problemf(ErrInvalid, "%q is not an extended PAN id %s", s, extPANIDAllowed)
	}
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return 0, problemf(ErrInvalid, "%q is not an extended PAN id %s", s, extPANIDAllowed)
	}
	if v == 0 || v == ^uint64(0) {
		return 0, problemf(ErrInvalid, "%q is reserved %s", s, extPANIDAllowed)
	}
	return ExtendedPANID(v), nil
}

func cutHexPrefix(s string) (string, bool) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:], true
	}
	return s, false
}

// SecretRef says where a secret lives, never the secret itself: "generate" (zhub creates
// it), "env:NAME" (the environment variable NAME) or "file:/path" (the file's content). A
// string that looks like a literal key is rejected, so a key cannot end up in a
// configuration file, a backup or a bug report. Error messages never echo the value: a
// mistyped reference may be the secret itself.
type SecretRef string

// KeyGenerate is the SecretRef that lets zhub generate the secret.
const KeyGenerate SecretRef = Generate

// Generate reports whether zhub should generate the secret.
func (r SecretRef) Generate() bool { return r == KeyGenerate }

// EnvName returns NAME for "env:NAME".
func (r SecretRef) EnvName() (string, bool) { return strings.CutPrefix(string(r), "env:") }

// FilePath returns the path for "file:/path".
func (r SecretRef) FilePath() (string, bool) { return strings.CutPrefix(string(r), "file:") }

// MarshalText implements encoding.TextMarshaler.
func (r SecretRef) MarshalText() ([]byte, error) { return []byte(r), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *SecretRef) UnmarshalText(b []byte) error {
	v := SecretRef(strings.TrimSpace(string(b)))
	if err := v.check(); err != nil {
		return err
	}
	*r = v
	return nil
}

const secretRefAllowed = `(allowed: "generate", "env:VARNAME" or "file:/path"; the value is not shown because it may be a secret)`

func (r SecretRef) check() error {
	if r.Generate() {
		return nil
	}
	if name, ok := r.EnvName(); ok {
		if !validEnvName(name) {
			return problemf(ErrInvalid, "env: must be followed by an environment variable name (letters, digits and _) %s", secretRefAllowed)
		}
		return nil
	}
	if path, ok := r.FilePath(); ok {
		if path == "" || strings.ContainsRune(path, 0) {
			return problemf(ErrInvalid, "file: must be followed by a path %s", secretRefAllowed)
		}
		return nil
	}
	if _, err := parseKeyHex(string(r)); err == nil {
		return problemf(ErrLiteralSecret, `looks like a literal network key; never put keys in the configuration: put it in an environment variable (network_key = "env:ZHUB_NETWORK_KEY") or in a file readable only by zhub (network_key = "file:/etc/zhub/network.key")`)
	}
	return problemf(ErrInvalid, "not a secret reference %s", secretRefAllowed)
}

// parseKeyHex parses a 128-bit key written as 32 hex digits, optionally with a 0x prefix and
// colons, dashes or spaces between bytes. Its errors never contain the input.
func parseKeyHex(s string) ([16]byte, error) {
	var key [16]byte
	s = strings.TrimSpace(s)
	s, _ = cutHexPrefix(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ':', '-', ' ', '\t':
			return -1
		}
		return r
	}, s)
	if len(s) != 32 {
		return key, problemf(ErrSecretInvalid, "not a 128-bit key (want 32 hex digits; the value is not shown)")
	}
	if _, err := hex.Decode(key[:], []byte(s)); err != nil {
		return key, problemf(ErrSecretInvalid, "not a 128-bit key (want 32 hex digits; the value is not shown)")
	}
	return key, nil
}

// validEnvName reports whether s is a portable environment variable name.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
