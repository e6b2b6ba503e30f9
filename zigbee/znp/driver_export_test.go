package znp

import "context"

// PingForTest sends SYS_PING on the driver's live connection; external
// tests and benchmarks use it to measure a request round trip.
func (d *Driver) PingForTest(ctx context.Context) error {
	s, err := d.active()
	if err != nil {
		return err
	}
	_, err = s.c.request(ctx, Frame{cmdSysPing, nil})
	return err
}
