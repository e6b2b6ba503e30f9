package localapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// TestConfigure: POST device/configure re-configures a paired device and
// returns it; an unknown or unnamed device is refused with its code.
func TestConfigure(t *testing.T) {
	e := startEnv(t, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	e.pairLight(t)
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	name := ieeeString(spareLight)
	tests := []struct {
		name, device string
		status       int
		code         string // "" = ok
	}{
		{"paired light", name, 200, ""},
		{"unknown device", "nonexistent", 404, localapi.CodeUnknownDevice},
		{"no device", "", 400, localapi.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.client.Configure(ctx, tc.device)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d.IEEE != name || d.Interview.State != hub.InterviewSuccessful {
					t.Errorf("device %s, interview %+v", d.IEEE, d.Interview)
				}
				return
			}
			ae, ok := errors.AsType[*localapi.APIError](err)
			if !ok || ae.Status != tc.status || ae.Code != tc.code {
				t.Fatalf("error %v, want %d %s", err, tc.status, tc.code)
			}
		})
	}
}
