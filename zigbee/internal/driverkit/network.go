package driverkit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// CheckNetwork reports what makes a configured network unusable: a channel
// outside 11–26, a reserved PAN id or extended PAN id, a key together with
// generate_key, or a published default key. Zero fields are fine (they
// are generated). The error has no prefix: the driver wraps it with its
// ErrConfig.
func CheckNetwork(n zigbee.NetworkConfig) error {
	switch {
	case n.Channel != 0 && !n.Channel.Valid():
		return fmt.Errorf("channel %d is outside 11–26", n.Channel)
	case n.PANID != 0 && !n.PANID.Valid():
		return fmt.Errorf("PAN id %v is reserved", n.PANID)
	case n.ExtPANID == 0xFFFFFFFFFFFFFFFF:
		return fmt.Errorf("extended PAN id %v is reserved", n.ExtPANID)
	case n.GenerateKey && !n.Key.IsZero():
		return errors.New("a network key and generate_key are both set")
	case !n.Key.IsZero() && n.Key.IsWellKnown():
		return errors.New("the network key is a published default key; remove it to generate a random one")
	}
	return nil
}

// CheckEndpoint reports an application endpoint outside 1–242 (the
// Zigbee range; 0 is ZDO, 243–255 are reserved). No prefix, as CheckNetwork.
func CheckEndpoint(ep zigbee.Endpoint) error {
	if ep == 0 || ep > 242 {
		return fmt.Errorf("endpoint %d is outside 1–242", ep)
	}
	return nil
}

// SetDefault sets *v to d when it is zero or negative.
func SetDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// NetworkParams are the identifying parameters of a network: the ones a
// driver forms, the ones it finds in the coordinator.
type NetworkParams struct {
	PANID    zigbee.PANID
	ExtPANID zigbee.ExtPANID
	Channel  zigbee.Channel
	Key      zigbee.NetworkKey
}

// NewNetworkParams fills the zero values of cfg: a random PAN id in
// 0x0001–0x3FFF (the range for formation), a random extended PAN id that
// is neither reserved nor 0xDDDD…, a random network key that is not a
// published default, and channel 11. rnd is the randomness (crypto/rand
// in production). Errors (from rnd) have no prefix.
func NewNetworkParams(cfg zigbee.NetworkConfig, rnd io.Reader) (NetworkParams, error) {
	p := NetworkParams{PANID: cfg.PANID, ExtPANID: cfg.ExtPANID, Channel: cfg.Channel, Key: cfg.Key}
	var b [16]byte
	for !p.PANID.Valid() {
		if _, err := io.ReadFull(rnd, b[:2]); err != nil {
			return p, fmt.Errorf("random PAN id: %w", err)
		}
		p.PANID = zigbee.PANID(binary.LittleEndian.Uint16(b[:]) & 0x3FFF)
	}
	for p.ExtPANID == 0 || p.ExtPANID == 0xFFFFFFFFFFFFFFFF || p.ExtPANID == 0xDDDDDDDDDDDDDDDD {
		if _, err := io.ReadFull(rnd, b[:8]); err != nil {
			return p, fmt.Errorf("random extended PAN id: %w", err)
		}
		p.ExtPANID = zigbee.ExtPANID(binary.LittleEndian.Uint64(b[:]))
	}
	for p.Key.IsWellKnown() {
		if _, err := io.ReadFull(rnd, p.Key[:]); err != nil {
			return p, fmt.Errorf("random network key: %w", err)
		}
	}
	if p.Channel == 0 {
		p.Channel = 11
	}
	return p, nil
}

// Differences lists how the network held (in a coordinator or a backup)
// differs from the configuration, one phrase each, empty when it matches.
// This is the drivers' matching rule: channel, PAN id, extended PAN id and
// key each match when the configuration leaves them zero (generate) or
// names the held value; a configured key never matches an unknown one
// (hasKey false).
func Differences(cfg zigbee.NetworkConfig, held NetworkParams, hasKey bool) []string {
	var diff []string
	if cfg.Channel != 0 && cfg.Channel != held.Channel {
		diff = append(diff, fmt.Sprintf("channel %d (configured %d)", held.Channel, cfg.Channel))
	}
	if cfg.PANID != 0 && cfg.PANID != held.PANID {
		diff = append(diff, fmt.Sprintf("PAN id %v (configured %v)", held.PANID, cfg.PANID))
	}
	if cfg.ExtPANID != 0 && cfg.ExtPANID != held.ExtPANID {
		diff = append(diff, fmt.Sprintf("extended PAN id %v (configured %v)", held.ExtPANID, cfg.ExtPANID))
	}
	if !cfg.Key.IsZero() && (!hasKey || cfg.Key != held.Key) {
		diff = append(diff, "network key")
	}
	return diff
}

// Plan is what a driver's start-up does with the network in the
// coordinator.
type Plan int

// The start-up plans.
const (
	PlanResume  Plan = iota // start the network the coordinator holds
	PlanForm                // form a new network
	PlanRestore             // restore the backup file onto a blank coordinator
)

func (p Plan) String() string {
	switch p {
	case PlanResume:
		return "resume"
	case PlanForm:
		return "form"
	case PlanRestore:
		return "restore"
	}
	return fmt.Sprintf("Plan(%d)", int(p))
}

// EndpointFor returns the lowest endpoint registered for profile p in eps
// (endpoint → profile), else endpoint 1.
func EndpointFor(eps map[zigbee.Endpoint]zigbee.ProfileID, p zigbee.ProfileID) zigbee.Endpoint {
	best := zigbee.Endpoint(0)
	for ep, prof := range eps {
		if prof == p && (best == 0 || ep < best) {
			best = ep
		}
	}
	if best == 0 {
		return 1
	}
	return best
}
