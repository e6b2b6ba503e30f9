package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPutStates: one call writes every known device's state as PutState
// would; an unknown device is skipped and named in an ErrNotFound error
// while the others are written; an invalid entry writes nothing.
func TestPutStates(t *testing.T) {
	t1 := testNow.Add(-time.Minute)
	tests := []struct {
		name    string
		states  []DeviceState
		wantIs  error
		wantErr string            // in the error text
		want    map[string]string // ieee → state stored afterwards
	}{
		{"two devices", []DeviceState{{ieeeA, json.RawMessage(`{"state":"ON"}`), t1}, {ieeeB, json.RawMessage(`{"state":"OFF"}`), time.Time{}}},
			nil, "", map[string]string{ieeeA: `{"state":"ON"}`, ieeeB: `{"state":"OFF"}`}},
		{"unknown device skipped", []DeviceState{{"0x00000000000000ff", json.RawMessage(`{}`), t1}, {ieeeA, json.RawMessage(`{"state":"ON"}`), t1}},
			ErrNotFound, "0x00000000000000ff", map[string]string{ieeeA: `{"state":"ON"}`}},
		{"invalid JSON writes nothing", []DeviceState{{ieeeA, json.RawMessage(`{"state":"ON"}`), t1}, {ieeeB, json.RawMessage(`{"state":`), t1}},
			ErrInvalid, "", map[string]string{}},
		{"empty state", []DeviceState{{ieeeA, nil, t1}}, ErrInvalid, "", map[string]string{}},
		{"malformed address", []DeviceState{{"lamp", json.RawMessage(`{}`), t1}}, ErrInvalid, "", map[string]string{}},
		{"none", nil, nil, "", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, Config{})
			ctx := t.Context()
			mustPutDevice(t, s, ieeeA, "lamp")
			mustPutDevice(t, s, ieeeB, "plug")
			err := s.PutStates(ctx, tc.states...)
			if !errors.Is(err, tc.wantIs) || (tc.wantIs == nil) != (err == nil) {
				t.Fatalf("PutStates error = %v, want %v", err, tc.wantIs)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not name %q", err, tc.wantErr)
			}
			got, err := s.States(ctx)
			if err != nil {
				t.Fatalf("States: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("%d states stored, want %d", len(got), len(tc.want))
			}
			for ieee, st := range tc.want {
				if string(got[ieee].State) != st {
					t.Errorf("state of %s = %s, want %s", ieee, got[ieee].State, st)
				}
			}
			for _, in := range tc.states {
				if r, ok := got[in.IEEE]; ok && !in.At.IsZero() && !r.UpdatedAt.Equal(in.At) {
					t.Errorf("%s updated at %v, want %v", in.IEEE, r.UpdatedAt, in.At)
				}
				if r, ok := got[in.IEEE]; ok && in.At.IsZero() && !r.UpdatedAt.Equal(testNow) {
					t.Errorf("%s updated at %v, want now (%v)", in.IEEE, r.UpdatedAt, testNow)
				}
			}
		})
	}
}
