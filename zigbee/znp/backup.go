package znp

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// Address-manager user bits and TC link-key attributes (Z-Stack's
// AddrMgrUserType and KeyAttributes; protocol/znp.md §8.3, §13).
const (
	addrMgrAssoc    = 0x01
	addrMgrSecurity = 0x02
	addrMgrEmpty    = 0xFF
	keyAttrVerified = 0x02
	addrMgrEntryLen = 12 // aligned (CC26xx); 11 packed
	tclkEntryLen    = 20 // aligned; 19 packed
)

// zstackSpecific is the stack_specific.zstack object of a backup.
type zstackSpecific struct {
	TCLKSeed string `json:"tclk_seed,omitempty"`
}

// Backup reads the network parameters, keys, frame counter, devices and
// TC link keys from the coordinator (protocol/znp.md §13).
func (d *Driver) Backup(ctx context.Context) (*zigbee.Backup, error) {
	s, err := d.active()
	if err != nil {
		return nil, err
	}
	return s.backup(ctx)
}

// Restore writes b to the coordinator and restarts the network from it
// (the "form, then overwrite" procedure of protocol/znp.md §10.6). The
// network goes down (NetworkDown) and comes back with b's parameters
// (NetworkUp); the NWK and TC link-key frame counters are raised by
// zigbee.FrameCounterMargin. Devices whose link key is not derived from
// the trust-center seed must rejoin.
func (d *Driver) Restore(ctx context.Context, b *zigbee.Backup) error {
	return d.restores.Submit(ctx, b, func() error {
		_, err := d.active()
		return err
	})
}

// backup reads a backup from the coordinator.
func (s *session) backup(ctx context.Context) (*zigbee.Backup, error) {
	info, err := s.readInfo(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := s.nv.read(ctx, nvNIB)
	if err != nil {
		return nil, err
	}
	n, err := parseNIB(raw)
	if err != nil {
		return nil, err
	}
	ki, err := s.nv.read(ctx, nvNwkActiveKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("znp: backup: active network key: %w", err)
	}
	if len(ki) < 17 {
		return nil, fmt.Errorf("znp: backup: active network key item of %d bytes", len(ki))
	}
	var key zigbee.NetworkKey
	copy(key[:], ki[1:17])
	fc, err := s.frameCounter(ctx, info.ExtPANID)
	if err != nil {
		return nil, fmt.Errorf("znp: backup: %w", err)
	}
	info.FrameCounter = fc

	b := zigbee.NewBackup(info, key, s.d.cfg.BackupSource, time.Now())
	b.NetworkKey.SequenceNumber = ki[0]
	b.SecurityLevel = n.securityLevel()
	b.Metadata.Internal["znpVersion"] = int(s.fw.product)
	b.Metadata.Internal["firmware"] = info.Firmware.Product + " " + info.Firmware.Revision

	seed, err := s.nv.read(ctx, nvTCLKSeed)
	if err != nil {
		return nil, fmt.Errorf("znp: backup: TCLK seed: %w", err)
	}
	if len(seed) == 16 {
		zs, _ := json.Marshal(zstackSpecific{TCLKSeed: hex.EncodeToString(seed)})
		b.StackSpecific = map[string]json.RawMessage{"zstack": zs}
	}
	devs, err := s.readDevices(ctx, seed)
	if err != nil {
		return nil, fmt.Errorf("znp: backup: %w", err)
	}
	b.Devices = devs
	return b, nil
}

// addrMgrEntry is one address-manager record.
type addrMgrEntry struct {
	user uint8
	nwk  zigbee.NWK
	ieee zigbee.IEEE
}

func parseAddrMgrEntry(e []byte) (addrMgrEntry, bool) {
	switch len(e) {
	case addrMgrEntryLen: // user, pad, nwk, ieee
		return addrMgrEntry{e[0], zigbee.NWK(binary.LittleEndian.Uint16(e[2:])), zigbee.IEEE(binary.LittleEndian.Uint64(e[4:]))}, true
	case addrMgrEntryLen - 1: // packed
		return addrMgrEntry{e[0], zigbee.NWK(binary.LittleEndian.Uint16(e[1:])), zigbee.IEEE(binary.LittleEndian.Uint64(e[3:]))}, true
	}
	return addrMgrEntry{}, false
}

func (a addrMgrEntry) appendTo(b []byte, aligned bool) []byte {
	b = append(b, a.user)
	if aligned {
		b = append(b, 0)
	}
	return le64(le16(b, uint16(a.nwk)), uint64(a.ieee))
}

// tclkEntry is one TC link-key table record.
type tclkEntry struct {
	tx, rx uint32
	ieee   zigbee.IEEE
	attrs  uint8
	typ    uint8
	shift  uint8
}

func parseTCLKEntry(e []byte) (tclkEntry, bool) {
	if len(e) < tclkEntryLen-1 {
		return tclkEntry{}, false
	}
	r := rd{b: e}
	t := tclkEntry{tx: r.u32(), rx: r.u32(), ieee: zigbee.IEEE(r.u64()), attrs: r.u8(), typ: r.u8(), shift: r.u8()}
	return t, r.err == nil
}

func (t tclkEntry) appendTo(b []byte, aligned bool) []byte {
	b = le64(le32(le32(b, t.tx), t.rx), uint64(t.ieee))
	b = append(b, t.attrs, t.typ, t.shift)
	if aligned {
		b = append(b, 0)
	}
	return b
}

// hashedKey derives a device's TC link key from the seed: the seed rotated
// left by shift bytes, XOR the device's IEEE address in wire order, twice
// (protocol/znp.md §13).
func hashedKey(ieee zigbee.IEEE, seed []byte, shift uint8) zigbee.NetworkKey {
	var k zigbee.NetworkKey
	var a [8]byte
	binary.LittleEndian.PutUint64(a[:], uint64(ieee))
	for i := range k {
		k[i] = seed[(i+int(shift))%16] ^ a[i%8]
	}
	return k
}

// keyShift finds the shift that derives key from seed, or -1.
func keyShift(ieee zigbee.IEEE, key zigbee.NetworkKey, seed []byte) int {
	for shift := range 16 {
		if hashedKey(ieee, seed, uint8(shift)) == key {
			return shift
		}
	}
	return -1
}

// seedFor returns the seed that derives key for ieee with shift 0.
func seedFor(ieee zigbee.IEEE, key zigbee.NetworkKey) []byte {
	seed := hashedKey(ieee, key[:], 0)
	return seed[:]
}

// readAddrMgr returns the address-manager records.
func (s *session) readAddrMgr(ctx context.Context) ([]addrMgrEntry, error) {
	var raw [][]byte
	if s.fw.ext() {
		var err error
		if raw, err = s.nv.exTable(ctx, exAddrMgr); err != nil {
			return nil, err
		}
	} else {
		item, err := s.nv.read(ctx, nvAddrMgr)
		if err != nil {
			return nil, err
		}
		for len(item) >= addrMgrEntryLen-1 {
			raw = append(raw, item[:addrMgrEntryLen-1])
			item = item[addrMgrEntryLen-1:]
		}
	}
	var out []addrMgrEntry
	for _, r := range raw {
		if e, ok := parseAddrMgrEntry(r); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// readTCLK returns the TC link-key table records.
func (s *session) readTCLK(ctx context.Context) ([]tclkEntry, error) {
	var raw [][]byte
	if s.fw.ext() {
		var err error
		if raw, err = s.nv.exTable(ctx, exTCLKTable); err != nil {
			return nil, err
		}
	} else {
		for id := uint16(nvLegacyTCLKFirst); id <= nvLegacyTCLKLast; id++ {
			v, err := s.nv.read(ctx, id)
			if err != nil {
				return nil, err
			}
			if v == nil {
				break
			}
			raw = append(raw, v)
		}
	}
	var out []tclkEntry
	for _, r := range raw {
		if e, ok := parseTCLKEntry(r); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// readDevices lists the joined devices with their hashed TC link keys.
// Devices with an unhashed (APS key table) link key are listed without it.
func (s *session) readDevices(ctx context.Context, seed []byte) ([]zigbee.BackupDevice, error) {
	am, err := s.readAddrMgr(ctx)
	if err != nil {
		return nil, err
	}
	devs := []zigbee.BackupDevice{}
	index := map[zigbee.IEEE]int{}
	for _, e := range am {
		if e.ieee == 0 || e.ieee == 0xFFFFFFFFFFFFFFFF || e.user == addrMgrEmpty ||
			e.user&(addrMgrAssoc|addrMgrSecurity) == 0 {
			continue
		}
		child := e.user&addrMgrAssoc != 0
		index[e.ieee] = len(devs)
		devs = append(devs, zigbee.BackupDevice{NWK: zigbee.HexNWK(e.nwk), IEEE: zigbee.HexIEEE(e.ieee), IsChild: &child})
	}
	if len(seed) != 16 {
		return devs, nil
	}
	keys, err := s.readTCLK(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		i, ok := index[k.ieee]
		if !ok || k.ieee == 0 || k.attrs == 0xFF {
			continue
		}
		key := hashedKey(k.ieee, seed, k.shift)
		devs[i].LinkKey = &zigbee.BackupLinkKey{Key: zigbee.HexKey(key), TxCounter: k.tx, RxCounter: k.rx}
	}
	return devs, nil
}

// restore writes b to the coordinator (protocol/znp.md §10.6, §13): form
// a throw-away network so the stack creates its NV items, overwrite them
// with the backup, reset, and start the restored network.
func (s *session) restore(ctx context.Context, b *zigbee.Backup) error {
	start := time.Now()
	s.log.Info("restoring a coordinator backup", "event", "restore_start", "pan_id", zigbee.PANID(b.PANID).String(),
		"ext_pan_id", zigbee.ExtPANID(b.ExtPANID).String(), "channel", int(b.Channel), "devices", len(b.Devices))
	tmp, err := s.newParams(zigbee.NetworkConfig{Channel: b.Channel})
	if err != nil {
		return err
	}
	for tmp.PANID == zigbee.PANID(b.PANID) || tmp.ExtPANID == zigbee.ExtPANID(b.ExtPANID) {
		if tmp, err = s.newParams(zigbee.NetworkConfig{Channel: b.Channel}); err != nil {
			return err
		}
	}
	if err := s.form(ctx, tmp, false); err != nil {
		return fmt.Errorf("znp: restore: forming the temporary network: %w", err)
	}
	if err := s.writeBackupNV(ctx, b); err != nil {
		return fmt.Errorf("znp: restore: %w", err)
	}
	if err := s.resetZNP(ctx); err != nil {
		return err
	}
	if err := s.startup(ctx); err != nil {
		return fmt.Errorf("znp: restore: starting the restored network: %w", err)
	}
	if err := s.nv.write(ctx, nvHasConfigured3, []byte{hasConfiguredMagic}); err != nil {
		return err
	}
	s.log.Info("backup restored", "event", "restore_done", "elapsed_ms", time.Since(start).Milliseconds())
	return nil
}

// writeBackupNV overwrites the network items with the backup's.
func (s *session) writeBackupNV(ctx context.Context, b *zigbee.Backup) error {
	nv := &s.nv
	pan, ext, ch := zigbee.PANID(b.PANID), zigbee.ExtPANID(b.ExtPANID), b.Channel
	var mask zigbee.ChannelMask
	for _, c := range b.ChannelMask {
		if zigbee.Channel(c).Valid() {
			mask |= zigbee.Channel(c).Mask()
		}
	}
	if mask == 0 {
		mask = ch.Mask()
	}
	secLevel := b.SecurityLevel
	if secLevel == 0 {
		secLevel = 5
	}
	raw, err := nv.read(ctx, nvNIB)
	if err != nil {
		return err
	}
	n, err := parseNIB(raw)
	if err != nil {
		return err
	}
	n.set(pan, ext, ch, mask, b.NWKUpdateID, secLevel)
	key := b.Key()
	keyInfo := append([]byte{b.NetworkKey.SequenceNumber}, key[:]...)
	fc := b.NetworkKey.FrameCounter + zigbee.FrameCounterMargin
	items := []struct {
		id uint16
		v  []byte
	}{
		{nvNIB, n.raw},
		{nvExtendedPANID, le64(nil, uint64(ext))},
		{nvAPSUseExtPANID, le64(nil, uint64(ext))},
		{nvPANID, le16(nil, uint16(pan))},
		{nvChanList, le32(nil, uint32(mask))},
		{nvPreCfgKeysEnable, []byte{0}},
		{nvPreCfgKey, key[:]},
		{nvNwkActiveKeyInfo, keyInfo},
		{nvNwkAlternKeyInfo, keyInfo},
	}
	for _, it := range items {
		if err := nv.write(ctx, it.id, it.v); err != nil {
			return err
		}
	}
	// NWKKEY: seqNum, key, [pad when aligned], frame counter.
	if size, err := nv.length(ctx, nvNwkKey); err != nil {
		return err
	} else if size >= 21 {
		v := make([]byte, size)
		copy(v, keyInfo)
		binary.LittleEndian.PutUint32(v[size-4:], fc)
		if err := nv.write(ctx, nvNwkKey, v); err != nil {
			return err
		}
	}
	if err := s.writeFrameCounter(ctx, ext, fc); err != nil {
		return err
	}
	if err := s.writeDevices(ctx, b); err != nil {
		return err
	}
	if ieee := zigbee.IEEE(b.CoordinatorIEEE); ieee != 0 {
		cur, err := s.readInfo(ctx)
		if err == nil && cur.IEEE != ieee {
			s.log.Info("taking over the backup's coordinator IEEE address", "event", "restore_ieee",
				"ieee", ieee.String(), "was", cur.IEEE.String())
			if err := nv.write(ctx, nvExtAddr, le64(nil, uint64(ieee))); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFrameCounter stores the NWK frame counter as the only security
// material entry (3.x.0 ext table, or the legacy items on 3.0.x).
func (s *session) writeFrameCounter(ctx context.Context, ext zigbee.ExtPANID, fc uint32) error {
	entry := le64(le32(nil, fc), uint64(ext))
	empty := make([]byte, legacySecMatEntrySize)
	if s.fw.ext() {
		old, err := s.nv.exTable(ctx, exNwkSecMaterialTable)
		if err != nil {
			return err
		}
		for sub := range max(len(old), 1) {
			v := empty
			if sub == 0 {
				v = entry
			}
			if err := s.nv.exWrite(ctx, exNwkSecMaterialTable, uint16(sub), v); err != nil {
				return err
			}
		}
		return nil
	}
	for id := uint16(nvLegacySecMatFirst); id <= nvLegacySecMatLast; id++ {
		v := empty
		if id == nvLegacySecMatFirst {
			v = entry
		}
		if err := s.nv.write(ctx, id, v); err != nil {
			return err
		}
	}
	return nil
}

// writeDevices writes the address manager, the TC link-key seed and the
// hashed TC link keys of the backup's devices.
func (s *session) writeDevices(ctx context.Context, b *zigbee.Backup) error {
	nv := &s.nv
	seed, err := nv.read(ctx, nvTCLKSeed)
	if err != nil {
		return err
	}
	var zs zstackSpecific
	if raw, ok := b.StackSpecific["zstack"]; ok {
		if err := json.Unmarshal(raw, &zs); err != nil {
			return fmt.Errorf("%w: stack_specific.zstack: %w", zigbee.ErrBadBackup, err)
		}
	}
	if v, err := hex.DecodeString(zs.TCLKSeed); err == nil && len(v) == 16 {
		seed = v
	} else if len(seed) != 16 {
		for _, dev := range b.Devices {
			if dev.LinkKey != nil {
				seed = seedFor(zigbee.IEEE(dev.IEEE), zigbee.NetworkKey(dev.LinkKey.Key))
				break
			}
		}
	}
	var am []addrMgrEntry
	var keys []tclkEntry
	for _, dev := range b.Devices {
		e := addrMgrEntry{nwk: zigbee.NWK(dev.NWK), ieee: zigbee.IEEE(dev.IEEE)}
		if dev.IsChild == nil || *dev.IsChild {
			e.user |= addrMgrAssoc // a missing is_child means child (herdsman)
		}
		if lk := dev.LinkKey; lk != nil && len(seed) == 16 {
			e.user |= addrMgrSecurity
			if shift := keyShift(e.ieee, zigbee.NetworkKey(lk.Key), seed); shift >= 0 {
				keys = append(keys, tclkEntry{tx: lk.TxCounter + zigbee.FrameCounterMargin, rx: lk.RxCounter,
					ieee: e.ieee, attrs: keyAttrVerified, shift: uint8(shift)})
			} else {
				s.log.Warn("a device's link key is not derived from the trust-center seed; it must rejoin",
					"event", "restore_key_skipped", "ieee", e.ieee.String())
			}
		}
		am = append(am, e)
	}
	if len(seed) == 16 {
		if err := nv.write(ctx, nvTCLKSeed, seed); err != nil {
			return err
		}
	}
	if s.fw.ext() {
		for i, e := range am {
			if err := nv.exWrite(ctx, exAddrMgr, uint16(i), e.appendTo(nil, true)); err != nil {
				return err
			}
		}
		for i, k := range keys {
			if err := nv.exWrite(ctx, exTCLKTable, uint16(i), k.appendTo(nil, true)); err != nil {
				return err
			}
		}
		return nil
	}
	// Z-Stack 3.0.x: the address manager is one fixed-size item of packed
	// records; the TC link keys are legacy items 0x0111 on.
	item, err := nv.read(ctx, nvAddrMgr)
	if err != nil {
		return err
	}
	if len(am)*(addrMgrEntryLen-1) > len(item) {
		return fmt.Errorf("%d devices do not fit the coordinator's address manager (%d entries)", len(am), len(item)/(addrMgrEntryLen-1))
	}
	for i, e := range am {
		e.appendTo(item[i*(addrMgrEntryLen-1):i*(addrMgrEntryLen-1)], false)
	}
	if err := nv.write(ctx, nvAddrMgr, item); err != nil {
		return err
	}
	for i, k := range keys {
		id := uint16(nvLegacyTCLKFirst + i)
		size, err := nv.length(ctx, id)
		if err != nil {
			return err
		}
		if size == 0 {
			size = tclkEntryLen - 1
		}
		v := k.appendTo(nil, size >= tclkEntryLen)
		if err := nv.write(ctx, id, v); err != nil {
			return err
		}
	}
	return nil
}
