package zigbee

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"go.bug.st/serial"
)

// Port errors; a *PortError wraps one of them.
var (
	// ErrPortNotFound means the serial device does not exist (unplugged, wrong path).
	ErrPortNotFound = errors.New("no such serial port")
	// ErrPermissionDenied means the process may not open the device.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrPortBusy means another process holds the device open.
	ErrPortBusy = errors.New("serial port busy")
	// ErrBadPort means the path is not a usable serial device or address.
	ErrBadPort = errors.New("not a usable serial port")
)

// PortConfig says how to reach a coordinator.
type PortConfig struct {
	// Path is a device (/dev/ttyUSB0, /dev/serial/by-id/...) or tcp://host:port
	// for network-attached coordinators.
	Path   string
	Baud   int  // 0 = 115200
	RTSCTS bool // hardware flow control
}

// PortError reports why a port could not be opened, with a hint for the user.
type PortError struct {
	Path string
	Err  error  // one of the port sentinels
	Hint string // what to do about it
	// Cause is the underlying error from the OS or the serial library.
	Cause error
}

func (e *PortError) Error() string {
	s := fmt.Sprintf("open %s: %v", e.Path, e.Err)
	if e.Cause != nil {
		s += " (" + e.Cause.Error() + ")"
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns both the sentinel and the cause for errors.Is.
func (e *PortError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// OpenPort opens the link to a coordinator: a serial device in raw mode,
// opened exclusively, or a TCP stream for tcp://host:port. Reads block; close
// the port to unblock a reader.
func OpenPort(ctx context.Context, cfg PortConfig) (io.ReadWriteCloser, error) {
	if rest, ok := strings.CutPrefix(cfg.Path, "tcp://"); ok {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", rest)
		if err != nil {
			return nil, &PortError{Path: cfg.Path, Err: ErrBadPort, Cause: err,
				Hint: "is the network coordinator powered and reachable at that address?"}
		}
		return c, nil
	}
	if cfg.Path == "" {
		return nil, &PortError{Path: "(empty)", Err: ErrBadPort, Hint: "set serial.port (or ZHUB_SERIAL_PORT) to the dongle, e.g. " + suggestPorts()}
	}
	baud := cfg.Baud
	if baud == 0 {
		baud = 115200
	}
	p, err := serial.Open(cfg.Path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, classifyOpenError(cfg.Path, err)
	}
	unlock, err := lockPort(cfg.Path)
	if err != nil {
		p.Close()
		return nil, err
	}
	if cfg.RTSCTS {
		if err := setRTSCTS(cfg.Path, true); err != nil {
			p.Close()
			unlock()
			return nil, &PortError{Path: cfg.Path, Err: ErrBadPort, Cause: err, Hint: "hardware flow control (rtscts) could not be enabled on this device"}
		}
	}
	return &lockedPort{Port: p, unlock: unlock}, nil
}

// lockedPort releases the exclusive lock when the port closes.
type lockedPort struct {
	serial.Port
	once   sync.Once
	unlock func()
}

func (p *lockedPort) Close() error {
	err := p.Port.Close()
	p.once.Do(p.unlock)
	return err
}

func classifyOpenError(path string, err error) error {
	pe := &PortError{Path: path, Err: ErrBadPort, Cause: err}
	var se *serial.PortError
	if errors.As(err, &se) {
		switch se.Code() {
		case serial.PortNotFound:
			pe.Err = ErrPortNotFound
		case serial.PermissionDenied:
			pe.Err = ErrPermissionDenied
		case serial.PortBusy:
			pe.Err = ErrPortBusy
		}
	}
	var be *busyError
	switch {
	case errors.As(err, &be):
		pe.Err = ErrPortBusy
	case errors.Is(err, os.ErrNotExist):
		pe.Err = ErrPortNotFound
	case errors.Is(err, os.ErrPermission):
		pe.Err = ErrPermissionDenied
	}
	if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
		pe.Err = ErrPortNotFound
	}
	switch pe.Err {
	case ErrPortNotFound:
		pe.Hint = "is the dongle plugged in? " + suggestPorts()
	case ErrPermissionDenied:
		pe.Hint = "add the user running zhub to the dialout group (sudo usermod -aG dialout $USER, then log in again)"
	case ErrPortBusy:
		if holders := portHolders(path); len(holders) > 0 {
			pe.Hint = "held by " + strings.Join(holders, ", ") + "; stop it (another Zigbee2MQTT/ZHA/zhub, or ModemManager)"
		} else {
			pe.Hint = "another program holds it (another Zigbee2MQTT/ZHA/zhub, or ModemManager)"
		}
	default:
		pe.Hint = "check serial.port"
	}
	return pe
}

// suggestPorts names the stable device paths that exist.
func suggestPorts() string {
	ids, _ := filepath.Glob("/dev/serial/by-id/*")
	if len(ids) == 0 {
		return "no devices in /dev/serial/by-id"
	}
	return "devices in /dev/serial/by-id: " + strings.Join(ids, ", ")
}

// portHolders names the processes that have path open (Linux /proc scan; best effort).
func portHolders(path string) []string {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	self := strconv.Itoa(os.Getpid())
	for _, p := range procs {
		pid := filepath.Base(p)
		if pid == self {
			continue
		}
		fds, _ := os.ReadDir(p + "/fd")
		for _, fd := range fds {
			if l, err := os.Readlink(p + "/fd/" + fd.Name()); err == nil && l == target {
				comm, _ := os.ReadFile(p + "/comm")
				out = append(out, fmt.Sprintf("%s (pid %s)", strings.TrimSpace(string(comm)), pid))
				break
			}
		}
	}
	return out
}

// busyError marks a lock held by another process.
type busyError struct{ error }

func (e *busyError) Unwrap() error { return e.error }
