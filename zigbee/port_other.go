//go:build !linux

package zigbee

import "errors"

func setRTSCTS(string, bool) error {
	return errors.New("rtscts is only supported on Linux")
}

func rtsctsEnabled(string) (bool, error) {
	return false, errors.New("rtscts is only supported on Linux")
}

func lockPort(string) (func(), error) { return func() {}, nil }
