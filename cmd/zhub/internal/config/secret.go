package config

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// getenv returns the lookup Load used, or os.Getenv for a hand-built Config.
func (c Config) getenv(name string) string {
	if c.meta != nil && c.meta.getenv != nil {
		return c.meta.getenv(name)
	}
	return os.Getenv(name)
}

// MQTTPassword returns the broker password from the environment variable named by
// mqtt.password_env; "" and nil when no variable is named. Never log the result.
func (c Config) MQTTPassword() (string, error) {
	return c.envSecret("mqtt.password_env", c.MQTT.PasswordEnv)
}

// LLMAPIKey returns the provider's API key from the environment variable named by
// llm.api_key_env; "" and nil when no variable is named. Never log the result.
func (c Config) LLMAPIKey() (string, error) {
	return c.envSecret("llm.api_key_env", c.LLM.APIKeyEnv)
}

func (c Config) envSecret(key, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	if !validEnvName(name) {
		return "", c.errAt(key, key, problemf(ErrInvalid, "not an environment variable name (the value is not shown)"))
	}
	v := c.getenv(name)
	if v == "" {
		return "", c.errAt(key, key, problemf(ErrSecretNotSet, "environment variable %s is not set", name))
	}
	return v, nil
}

// NetworkKey resolves zigbee.network_key. For "generate" it returns generate=true and no
// key: the daemon creates a random key when it forms the network and keeps it with the
// network state. For "env:NAME" the variable holds the key and for "file:/path" the file
// does, as 32 hex digits (0x prefix and ':', '-' or space separators allowed). Errors never
// contain the key. Never log the result.
func (c Config) NetworkKey() (key [16]byte, generate bool, err error) {
	const k = "zigbee.network_key"
	ref := c.Zigbee.NetworkKey
	if ref.Generate() {
		return key, true, nil
	}
	raw, err := c.resolveRef(k, ref)
	if err != nil {
		return key, false, err
	}
	if key, err = parseKeyHex(raw); err != nil {
		return key, false, c.refError(k, ref, err)
	}
	return key, false, nil
}

// resolveRef returns the content behind an "env:" or "file:" reference.
func (c Config) resolveRef(key string, ref SecretRef) (string, error) {
	if err := ref.check(); err != nil {
		return "", c.errAt(key, key, err)
	}
	if name, ok := ref.EnvName(); ok {
		v := c.getenv(name)
		if v == "" {
			return "", c.errAt(key, key, problemf(ErrSecretNotSet, "environment variable %s is not set", name))
		}
		return v, nil
	}
	path, ok := ref.FilePath()
	if !ok {
		return "", c.errAt(key, key, problemf(ErrInvalid, "%q cannot be resolved", string(ref)))
	}
	b, err := readSmallFile(path)
	if err != nil {
		return "", &Error{File: path, Key: key, Msg: "cannot read: " + unwrapPath(err).Error(), Err: errors.Join(ErrSecretNotSet, err)}
	}
	return string(b), nil
}

// maxSecretFile bounds what a secret file may hold; a key is a few dozen bytes.
const maxSecretFile = 4096

// readSmallFile reads a regular file of at most maxSecretFile bytes. Anything else (a FIFO
// that would block, /dev/zero that never ends) is refused before it is opened.
func readSmallFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("larger than %d bytes", maxSecretFile)
	}
	return b, nil
}

// refError locates a problem with a secret's content at the variable or file holding it.
func (c Config) refError(key string, ref SecretRef, err error) error {
	e := &Error{Key: key, Msg: err.Error(), Err: err}
	if name, ok := ref.EnvName(); ok {
		e.Env = name
	} else if path, ok := ref.FilePath(); ok {
		e.File = path
	}
	return e
}
