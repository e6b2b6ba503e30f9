package sim

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
)

const stateVersion = 1

// stateFile is the persisted dongle + virtual network.
type stateFile struct {
	Version int          `json:"version"`
	IEEE    string       `json:"hardware_ieee"`
	NV      nvJSON       `json:"nv"`
	Groups  []coordGroup `json:"groups,omitempty"`
	Devices []deviceJSON `json:"devices"`
}

type deviceJSON struct {
	Kind      string              `json:"kind"`
	IEEE      string              `json:"ieee"`
	NWK       uint16              `json:"nwk"`
	Joined    bool                `json:"joined"`
	ExtPANID  string              `json:"ext_pan_id,omitempty"`
	PANID     uint16              `json:"pan_id,omitempty"`
	Key       string              `json:"network_key,omitempty"`
	Parent    uint16              `json:"parent"`
	LQI       uint8               `json:"lqi"`
	Attrs     map[string]string   `json:"attrs,omitempty"`     // "ep/cluster/attr" → "TT:HEX"
	Reporting map[string][3]int64 `json:"reporting,omitempty"` // "ep/cluster/attr" → min, max, change
	Groups    map[string][]uint16 `json:"groups,omitempty"`    // ep → group ids
	Bindings  []bindingJSON       `json:"bindings,omitempty"`
}

type bindingJSON struct {
	SrcEp   uint8  `json:"src_ep"`
	Cluster uint16 `json:"cluster"`
	Mode    uint8  `json:"mode"`
	Group   uint16 `json:"group,omitempty"`
	Dst     string `json:"dst,omitempty"`
	DstEp   uint8  `json:"dst_ep,omitempty"`
}

func attrKey(ep uint8, c, a uint16) string { return fmt.Sprintf("%d/0x%04X/0x%04X", ep, c, a) }

func parseAttrKey(s string) (uint8, uint16, uint16, error) {
	p := strings.Split(s, "/")
	if len(p) != 3 {
		return 0, 0, 0, fmt.Errorf("attribute key %q: want ep/cluster/attr", s)
	}
	var v [3]uint64
	for i, x := range p {
		n, err := strconv.ParseUint(x, 0, 16)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("attribute key %q: %w", s, err)
		}
		v[i] = n
	}
	return uint8(v[0]), uint16(v[1]), uint16(v[2]), nil
}

// load reads the state file; a missing file is a factory-new dongle with a
// random TI-prefixed IEEE address (fresh).
func (n *Network) load() (fresh bool, err error) {
	if n.cfg.StatePath != "" {
		b, err := os.ReadFile(n.cfg.StatePath)
		switch {
		case err == nil:
			return false, n.restore(b)
		case errors.Is(err, fs.ErrNotExist):
		default:
			return false, fmt.Errorf("sim: read state: %w", err)
		}
	}
	n.factoryReset()
	return true, nil
}

// factoryReset makes the dongle factory-new: fresh hardware IEEE, default
// NV, no devices joined.
func (n *Network) factoryReset() {
	n.hwIEEE = zigbee.IEEE(0x00124b<<40 | n.rng.Uint64()&0xFFFFFFFFFF)
	seed := make([]byte, 16)
	for i := range seed {
		seed[i] = byte(n.rng.Uint32())
	}
	n.nv = factoryNV(seed)
	n.groups = nil
	for _, d := range n.devices {
		d.joined = false
		d.pressed = false
	}
	n.dirty = true
}

func (n *Network) restore(b []byte) error {
	var s stateFile
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("sim: %w: %s: %w", ErrBadState, n.cfg.StatePath, err)
	}
	if s.Version != stateVersion {
		return fmt.Errorf("sim: %w: %s: version %d, want %d", ErrBadState, n.cfg.StatePath, s.Version, stateVersion)
	}
	ieee, err := zigbee.ParseIEEE(s.IEEE)
	if err != nil {
		return fmt.Errorf("sim: %w: %w", ErrBadState, err)
	}
	nv, err := nvFromJSON(s.NV)
	if err != nil {
		return fmt.Errorf("sim: %w: %w", ErrBadState, err)
	}
	n.hwIEEE, n.nv, n.groups = ieee, nv, s.Groups
	for _, dj := range s.Devices {
		d, err := deviceFromJSON(dj)
		if err != nil {
			return fmt.Errorf("sim: %w: %w", ErrBadState, err)
		}
		if n.deviceByIEEE(d.ieee) != nil {
			return fmt.Errorf("sim: %w: device %v listed twice", ErrBadState, d.ieee)
		}
		n.devices = append(n.devices, d)
	}
	return nil
}

func deviceFromJSON(dj deviceJSON) (*device, error) {
	a, err := zigbee.ParseIEEE(dj.IEEE)
	if err != nil {
		return nil, err
	}
	d, err := newDevice(DeviceSpec{Kind: Kind(dj.Kind)}, a)
	if err != nil {
		return nil, err
	}
	d.nwk, d.joined, d.parent, d.lqi = zigbee.NWK(dj.NWK), dj.Joined, zigbee.NWK(dj.Parent), dj.LQI
	if dj.ExtPANID != "" {
		e, err := zigbee.ParseExtPANID(dj.ExtPANID)
		if err != nil {
			return nil, err
		}
		d.extPAN = e
	}
	d.pan = zigbee.PANID(dj.PANID)
	if dj.Key != "" {
		k, err := hex.DecodeString(dj.Key)
		if err != nil || len(k) != 16 {
			return nil, fmt.Errorf("device %v: bad network key", a)
		}
		copy(d.key[:], k)
	}
	for k, v := range dj.Attrs {
		ep, c, id, err := parseAttrKey(k)
		if err != nil {
			return nil, err
		}
		t, val, err := decodeZvalText(v)
		if err != nil {
			return nil, err
		}
		if at := d.attr(ep, c, id); at != nil && at.typ == t {
			at.val = val
		}
	}
	for k, r := range dj.Reporting {
		ep, c, id, err := parseAttrKey(k)
		if err != nil {
			return nil, err
		}
		if at := d.attr(ep, c, id); at != nil {
			at.rep = &reporting{min: uint16(r[0]), max: uint16(r[1]), change: r[2], last: at.val}
		}
	}
	for k, gs := range dj.Groups {
		ep, err := strconv.ParseUint(k, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("group endpoint %q: %w", k, err)
		}
		if e := d.ep(uint8(ep)); e != nil {
			for _, g := range gs {
				e.groups[g] = true
			}
		}
	}
	for _, bj := range dj.Bindings {
		b := binding{srcEp: bj.SrcEp, cluster: bj.Cluster, mode: bj.Mode, group: bj.Group, dstEp: bj.DstEp}
		if bj.Dst != "" {
			dst, err := zigbee.ParseIEEE(bj.Dst)
			if err != nil {
				return nil, err
			}
			b.dst = dst
		}
		d.bindings = append(d.bindings, b)
	}
	return d, nil
}

func (d *device) toJSON() deviceJSON {
	dj := deviceJSON{Kind: string(d.kind), IEEE: d.ieee.String(), NWK: uint16(d.nwk), Joined: d.joined,
		Parent: uint16(d.parent), LQI: d.lqi, Attrs: map[string]string{}, Reporting: map[string][3]int64{},
		Groups: map[string][]uint16{}}
	if d.extPAN != 0 {
		dj.ExtPANID = d.extPAN.String()
		dj.PANID = uint16(d.pan)
		dj.Key = hex.EncodeToString(d.key[:])
	}
	for _, e := range d.eps {
		for c, as := range e.attrs {
			for id, a := range as {
				dj.Attrs[attrKey(e.id, c, id)] = encodeZvalText(a.typ, a.val)
				if a.rep != nil {
					dj.Reporting[attrKey(e.id, c, id)] = [3]int64{int64(a.rep.min), int64(a.rep.max), a.rep.change}
				}
			}
		}
		if len(e.groups) > 0 {
			dj.Groups[strconv.Itoa(int(e.id))] = slices.Sorted(maps.Keys(e.groups))
		}
	}
	for _, b := range d.bindings {
		bj := bindingJSON{SrcEp: b.srcEp, Cluster: b.cluster, Mode: b.mode, Group: b.group, DstEp: b.dstEp}
		if b.mode == 3 {
			bj.Dst = b.dst.String()
		}
		dj.Bindings = append(dj.Bindings, bj)
	}
	return dj
}

// save writes the state file atomically (temp file + rename).
func (n *Network) save() error {
	n.dirty = false
	if n.cfg.StatePath == "" {
		return nil
	}
	s := stateFile{Version: stateVersion, IEEE: n.hwIEEE.String(), NV: n.nv.toJSON(), Groups: n.groups}
	for _, d := range n.devices {
		s.Devices = append(s.Devices, d.toJSON())
	}
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return fmt.Errorf("sim: encode state: %w", err)
	}
	dir := filepath.Dir(n.cfg.StatePath)
	f, err := os.CreateTemp(dir, ".sim-state-*")
	if err != nil {
		return fmt.Errorf("sim: write state: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("sim: write state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("sim: write state: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("sim: write state: %w", err)
	}
	if err := os.Rename(f.Name(), n.cfg.StatePath); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("sim: write state: %w", err)
	}
	return nil
}

// saveNow persists NV changes immediately: a host may restart right after
// writing an item and must find it.
func (n *Network) saveNow() {
	if err := n.save(); err != nil {
		n.log.Error("sim state not saved", "event", "state_save_failed", "err", err)
	}
}
