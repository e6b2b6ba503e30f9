package localapi

import (
	"context"
	"net/http"
)

// serveConfigure is POST device/configure {"device"}: it re-does the
// device's binds and reporting configuration and returns the device.
func (s *Server) serveConfigure(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req NameRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return badRequest("missing device")
	}
	d, err := h.Device(req.Device)
	if err != nil {
		return err
	}
	if err := h.Configure(r.Context(), req.Device); err != nil {
		return err
	}
	if d, err = h.Device(d.IEEE.String()); err != nil {
		return err
	}
	return writeJSON(w, DeviceFrom(d))
}

// Configure re-does a device's binds and reporting configuration (without
// a new interview) and returns the device.
func (c *Client) Configure(ctx context.Context, name string) (Device, error) {
	return call[Device](ctx, c, "POST", "device/configure", nil, NameRequest{Device: name})
}
