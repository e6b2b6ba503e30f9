package driverkit

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

func TestCheckNetwork(t *testing.T) {
	tests := []struct {
		name string
		n    zigbee.NetworkConfig
		want string // "" = valid
	}{
		{"all generated", zigbee.NetworkConfig{}, ""},
		{"all given", zigbee.NetworkConfig{Channel: 25, PANID: 0x1A62, ExtPANID: 0xDDDD, Key: zigbee.NetworkKey{1}}, ""},
		{"channel", zigbee.NetworkConfig{Channel: 27}, "channel 27 is outside 11–26"},
		{"PAN id", zigbee.NetworkConfig{PANID: 0xFFFF}, "PAN id 0xFFFF is reserved"},
		{"extended PAN id", zigbee.NetworkConfig{ExtPANID: 0xFFFFFFFFFFFFFFFF}, "extended PAN id"},
		{"key and generate", zigbee.NetworkConfig{Key: zigbee.NetworkKey{1}, GenerateKey: true}, "a network key and generate_key are both set"},
		{"published key", zigbee.NetworkConfig{Key: zigbee.WellKnownNetworkKeys[0]}, "published default key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckNetwork(tt.n)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckNetwork = %v, want nil", err)
			case tt.want != "" && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want))):
				t.Errorf("CheckNetwork = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCheckEndpoint(t *testing.T) {
	for _, tt := range []struct {
		ep zigbee.Endpoint
		ok bool
	}{{0, false}, {1, true}, {242, true}, {243, false}, {255, false}} {
		if err := CheckEndpoint(tt.ep); (err == nil) != tt.ok {
			t.Errorf("CheckEndpoint(%d) = %v, want ok %v", tt.ep, err, tt.ok)
		}
	}
}

func TestSetDefault(t *testing.T) {
	v, d := 0, time.Duration(-1)
	SetDefault(&v, 16)
	SetDefault(&d, time.Second)
	if v != 16 || d != time.Second {
		t.Errorf("defaults %d, %v", v, d)
	}
	SetDefault(&v, 8)
	if v != 16 {
		t.Errorf("a set value was overwritten: %d", v)
	}
}

func TestNewNetworkParams(t *testing.T) {
	key := zigbee.NetworkKey{0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB0}
	tests := []struct {
		name    string
		cfg     zigbee.NetworkConfig
		rnd     []byte
		want    NetworkParams
		wantErr bool
	}{
		{"given values stay", zigbee.NetworkConfig{Channel: 20, PANID: 0x1234, ExtPANID: 0xAB, Key: key}, nil,
			NetworkParams{PANID: 0x1234, ExtPANID: 0xAB, Channel: 20, Key: key}, false},
		{"generated, PAN id masked to 14 bits",
			zigbee.NetworkConfig{},
			cat([]byte{0x34, 0xD2}, []byte{8, 7, 6, 5, 4, 3, 2, 1}, key[:]),
			NetworkParams{PANID: 0x1234, ExtPANID: 0x0102030405060708, Channel: 11, Key: key}, false},
		{"reserved values are drawn again",
			zigbee.NetworkConfig{Channel: 15},
			cat([]byte{0x00, 0x00}, []byte{0x01, 0x00}, // PAN id 0 is not valid
				bytes.Repeat([]byte{0xFF}, 8), bytes.Repeat([]byte{0xDD}, 8), []byte{1, 0, 0, 0, 0, 0, 0, 0},
				zigbee.WellKnownNetworkKeys[0][:], key[:]),
			NetworkParams{PANID: 0x0001, ExtPANID: 1, Channel: 15, Key: key}, false},
		{"randomness runs out", zigbee.NetworkConfig{}, []byte{1}, NetworkParams{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewNetworkParams(tt.cfg, bytes.NewReader(tt.rnd))
			if tt.wantErr {
				if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
					t.Errorf("err = %v, want the reader's", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NewNetworkParams = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func TestDifferences(t *testing.T) {
	key := zigbee.NetworkKey{9}
	held := NetworkParams{PANID: 0x1A62, ExtPANID: 0xABCD, Channel: 15, Key: key}
	tests := []struct {
		name   string
		cfg    zigbee.NetworkConfig
		hasKey bool
		want   []string
	}{
		{"all generated", zigbee.NetworkConfig{}, true, nil},
		{"all equal", zigbee.NetworkConfig{Channel: 15, PANID: 0x1A62, ExtPANID: 0xABCD, Key: key}, true, nil},
		{"channel", zigbee.NetworkConfig{Channel: 11}, true, []string{"channel 15 (configured 11)"}},
		{"PAN id", zigbee.NetworkConfig{PANID: 0x1A63}, true, []string{"PAN id 0x1A62 (configured 0x1A63)"}},
		{"extended PAN id", zigbee.NetworkConfig{ExtPANID: 1}, true,
			[]string{"extended PAN id " + zigbee.ExtPANID(0xABCD).String() + " (configured " + zigbee.ExtPANID(1).String() + ")"}},
		{"key", zigbee.NetworkConfig{Key: zigbee.NetworkKey{8}}, true, []string{"network key"}},
		{"unknown key", zigbee.NetworkConfig{Key: key}, false, []string{"network key"}},
		{"two", zigbee.NetworkConfig{Channel: 11, Key: zigbee.NetworkKey{8}}, true, []string{"channel 15 (configured 11)", "network key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Differences(tt.cfg, held, tt.hasKey); !slices.Equal(got, tt.want) {
				t.Errorf("Differences = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlanString(t *testing.T) {
	for p, want := range map[Plan]string{PlanResume: "resume", PlanForm: "form", PlanRestore: "restore", 7: "Plan(7)"} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(p), got, want)
		}
	}
}

func TestEndpointFor(t *testing.T) {
	eps := map[zigbee.Endpoint]zigbee.ProfileID{1: zigbee.ProfileHA, 5: zigbee.ProfileHA, 242: zigbee.ProfileGP}
	for _, tt := range []struct {
		p    zigbee.ProfileID
		want zigbee.Endpoint
	}{{zigbee.ProfileHA, 1}, {zigbee.ProfileGP, 242}, {0xC05E, 1}} {
		if got := EndpointFor(eps, tt.p); got != tt.want {
			t.Errorf("EndpointFor(%v) = %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := EndpointFor(map[zigbee.Endpoint]zigbee.ProfileID{7: zigbee.ProfileHA, 3: zigbee.ProfileHA}, zigbee.ProfileHA); got != 3 {
		t.Errorf("EndpointFor = %d, want the lowest, 3", got)
	}
}
