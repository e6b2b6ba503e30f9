package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
)

// CheckRuntime runs the checks that need the OS, so that `zhub config check` and the start
// of `zhub serve` fail with a clear message instead of a component failing later:
//
//   - data_dir can be created and written (it creates the directory, writes and removes a
//     temporary file);
//   - http.listen, and mqtt.listen when the embedded broker runs, can be bound (it listens
//     and closes at once; another process may still take the port before zhub binds it);
//   - serial.port, when it is a device path, exists and is readable and writable. The
//     device is not opened: opening a tty toggles DTR/RTS, which resets some dongles.
//
// Call Validate first. Problems are *Error values joined with errors.Join.
func (c *Config) CheckRuntime() error {
	var errs []*Error
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, c.errAt(key, key, err))
		}
	}
	add("data_dir", checkDataDir(c.DataDir))
	if c.HTTP.Listen != "" {
		add("http.listen", checkListen(c.HTTP.Listen, "another zhub running? change http.listen or ZHUB_HTTP_LISTEN"))
	}
	if c.MQTT.EmbeddedBroker() {
		add("mqtt.listen", checkListen(c.MQTT.Listen,
			"another MQTT broker (mosquitto?) running? change mqtt.listen or ZHUB_MQTT_LISTEN, or point mqtt.url at that broker"))
	}
	if c.Serial.Adapter != AdapterSim && c.Serial.Port != "" && !strings.HasPrefix(c.Serial.Port, "tcp://") {
		add("serial.port", checkDevice(c.Serial.Port))
	}
	return joinErrors(errs)
}

func checkDataDir(dir string) error {
	if dir == "" {
		return problemf(ErrNotWritable,
			"not set, and no default could be chosen ($STATE_DIRECTORY, $XDG_STATE_HOME and $HOME are unset) (set data_dir or ZHUB_DATA_DIR)")
	}
	notWritable := func(err error) error {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &problem{kind: ErrNotWritable, msg: fmt.Sprintf("%s: not writable: %v (set data_dir or ZHUB_DATA_DIR)", dir, err)}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return notWritable(err)
	}
	f, err := os.CreateTemp(dir, ".zhub-write-check-*")
	if err != nil {
		return notWritable(err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("zhub\n"))
	cerr := f.Close()
	rerr := os.Remove(name)
	if err := errors.Join(werr, cerr, rerr); err != nil {
		return notWritable(err)
	}
	return nil
}

func checkListen(addr, hint string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return problemf(ErrListen, "%s: address already in use — %s", addr, hint)
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err
		}
		return problemf(ErrListen, "%s: cannot listen: %v", addr, err)
	}
	return ln.Close()
}

func checkDevice(path string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return problemf(ErrDevice, "%s: no such device — is the dongle plugged in? ls /dev/serial/by-id/ lists the candidates", path)
		}
		return problemf(ErrDevice, "%s: %v", path, unwrapPath(err))
	}
	if err := accessRW(path); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return problemf(ErrDevice, "%s: permission denied — add the user running zhub to the dialout group", path)
		}
		return problemf(ErrDevice, "%s: %v", path, err)
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
