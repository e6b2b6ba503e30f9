package ezsp

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// ezspSpecific is the stack_specific.ezsp object of a backup (zigpy's
// field: the hashed trust-center link key, ezsp.md §12).
type ezspSpecific struct {
	HashedTCLK string `json:"hashed_tclk,omitempty"`
}

// Backup reads the network parameters, the network key with its sequence
// number and frame counter, the hashed TC link key and the child table
// from the NCP (ezsp.md §12).
func (d *Driver) Backup(ctx context.Context) (*zigbee.Backup, error) {
	s, err := d.active()
	if err != nil {
		return nil, err
	}
	return s.backup(ctx)
}

// Restore writes b to the NCP and restarts the network from it: the NCP
// leaves its network (NetworkDown), the NWK frame counter is set to the
// backup's plus zigbee.FrameCounterMargin before the security state (with
// NO_FRAME_COUNTER_RESET), the hashed TC link key and the key sequence
// number are restored, and the network is formed with the backup's
// channel, PAN ids and update id (NetworkUp). The coordinator IEEE address
// of an EmberZNet NCP is a chip token and stays; devices that cached the
// old one may need to re-pair.
func (d *Driver) Restore(ctx context.Context, b *zigbee.Backup) error {
	return d.restores.Submit(ctx, b, func() error {
		_, err := d.active()
		return err
	})
}

// backup reads a backup from the NCP.
func (s *session) backup(ctx context.Context) (*zigbee.Backup, error) {
	info, err := s.readInfo(ctx)
	if err != nil {
		return nil, err
	}
	ki, err := s.call(ctx, "getNetworkKeyInfo", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("ezsp: backup: %w", err)
	}
	info.FrameCounter = uint32(ki.Uint("networkKeyFrameCounter"))
	key, err := s.exportKey(ctx, keyTypeNetwork)
	if err != nil {
		return nil, fmt.Errorf("ezsp: backup: network key: %w", err)
	}
	b := zigbee.NewBackup(info, key, s.d.cfg.BackupSource, time.Now())
	b.NetworkKey.SequenceNumber = uint8(ki.Uint("networkKeySequenceNumber"))
	b.Metadata.Internal["ezspVersion"] = int(s.vi.Protocol)
	b.Metadata.Internal["firmware"] = s.fw.Product
	if rsp, err := s.call(ctx, "getConfigurationValue", Params{"configId": uint8(cfgSecurityLevel)}, nil); err == nil {
		b.SecurityLevel = uint8(rsp.Uint("value"))
	}
	if tclk, err := s.exportKey(ctx, keyTypeTCLink); err == nil && !tclk.IsZero() {
		es, _ := json.Marshal(ezspSpecific{HashedTCLK: hex.EncodeToString(tclk[:])})
		b.StackSpecific = map[string]json.RawMessage{"ezsp": es}
	} else if err != nil {
		s.log.Warn("cannot export the TC link key", "event", "tclk_export_failed", "err", err)
	}
	for i := range 64 {
		rsp, err := s.c.Call(ctx, "getChildData", Params{"index": uint8(i)})
		if err != nil {
			return nil, fmt.Errorf("ezsp: backup: child table: %w", err)
		}
		if rsp.Uint("status") != 0 {
			break
		}
		c := rsp.Struct("childData")
		child := true
		b.Devices = append(b.Devices, zigbee.BackupDevice{NWK: zigbee.HexNWK(c.Uint("id")),
			IEEE: zigbee.HexIEEE(c.Uint("eui64")), IsChild: &child})
	}
	return b, nil
}

// restore forms the backup's network on the NCP, leaving the current one.
func (s *session) restore(ctx context.Context, b *zigbee.Backup) error {
	if np, err := s.c.Call(ctx, "networkState", nil); err != nil {
		return err
	} else if np.Uint("status") != 0 {
		if err := s.leave(ctx); err != nil {
			return err
		}
	}
	fc := b.NetworkKey.FrameCounter + zigbee.FrameCounterMargin
	p := netParams{NetworkParams: driverkit.NetworkParams{PANID: zigbee.PANID(b.PANID), ExtPANID: zigbee.ExtPANID(b.ExtPANID),
		Channel: b.Channel, Key: b.Key()}, updateID: b.NWKUpdateID, keySeq: b.NetworkKey.SequenceNumber, fc: &fc}
	for _, c := range b.ChannelMask {
		if zigbee.Channel(c).Valid() {
			p.mask |= zigbee.Channel(c).Mask()
		}
	}
	if raw, ok := b.StackSpecific["ezsp"]; ok {
		var es ezspSpecific
		if err := json.Unmarshal(raw, &es); err == nil {
			if k, err := hex.DecodeString(es.HashedTCLK); err == nil && len(k) == 16 {
				p.tclk = k
			}
		}
	}
	if err := s.form(ctx, p, b); err != nil {
		return err
	}
	s.log.Info("backup restored", "event", "backup_restored", "pan_id", p.PANID.String(), "channel", int(p.Channel),
		"frame_counter", fc)
	return nil
}
