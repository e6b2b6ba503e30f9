package zigbee

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// setRTSCTS turns hardware flow control on or off. go.bug.st/serial always
// clears CRTSCTS and does not expose its descriptor; termios settings belong
// to the device, not the descriptor, so a second descriptor can change them.
func setRTSCTS(path string, on bool) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open for termios: %w", err)
	}
	defer unix.Close(fd)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("get termios: %w", err)
	}
	if on {
		t.Cflag |= unix.CRTSCTS
	} else {
		t.Cflag &^= unix.CRTSCTS
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set termios: %w", err)
	}
	return nil
}

// rtsctsEnabled reports whether CRTSCTS is set on the device (for tests).
func rtsctsEnabled(path string) (bool, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return false, err
	}
	return t.Cflag&unix.CRTSCTS != 0, nil
}

// lockPort takes an exclusive advisory lock on the device, the same flock
// that Node's serialport (Zigbee2MQTT) and other hosts take, so two programs
// never drive one dongle. TIOCEXCL is not enough: it does not stop root.
func lockPort(path string) (unlock func(), err error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, classifyOpenError(path, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if err == unix.EWOULDBLOCK {
			return nil, classifyOpenError(path, &busyError{err})
		}
		return nil, classifyOpenError(path, err)
	}
	return func() { unix.Flock(fd, unix.LOCK_UN); unix.Close(fd) }, nil
}
