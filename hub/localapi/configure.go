package localapi

import (
	"context"
	"net/http"
)

// serveConfigure is POST device/configure {"device"}: it re-does the
// device's binds and reporting configuration and returns the device.
func (s *Server) serveConfigure(w http.ResponseWriter, r *http.Request) error {
	return s.serveDeviceAction(w, r, Hub.Configure)
}

// Configure re-does a device's binds and reporting configuration (without
// a new interview) and returns the device.
func (c *Client) Configure(ctx context.Context, name string) (Device, error) {
	return call[Device](ctx, c, "POST", "device/configure", nil, NameRequest{Device: name})
}
