package sim

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Legacy OSAL NV item ids (protocol/znp.md §8.2).
const (
	nvExtAddr          = 0x0001
	nvStartupOption    = 0x0003
	nvNIB              = 0x0021
	nvAddrMgr          = 0x0023
	nvExtendedPANID    = 0x002D
	nvActiveKeyInfo    = 0x003A
	nvAlternKeyInfo    = 0x003B
	nvAPSUseExtPANID   = 0x0047
	nvAPSLinkKeyTable  = 0x004C
	nvBDBNodeOnNetwork = 0x0055
	nvHasConfigured3   = 0x0060
	nvPrecfgKey        = 0x0062
	nvPrecfgKeysEnable = 0x0063
	nvNwkKey           = 0x0082
	nvPANID            = 0x0083
	nvChanList         = 0x0084
	nvLogicalType      = 0x0087
	nvZDODirectCB      = 0x008F
	nvTCLKSeed         = 0x0101
)

// Extended NV item ids of system 1 (ZSTACK), protocol/znp.md §8.3.
const (
	sysZStack         = 1
	exLegacy          = 0x0000 // sysId 1, itemId 0, subId = legacy id
	exAddrMgr         = 0x0001
	exTCLKTable       = 0x0004
	exAPSKeyDataTable = 0x0006
	exNwkSecMaterial  = 0x0007
)

// Table capacities of the emulated image. Real CC26xx builds have larger
// tables; these keep a host's backup loop (two requests per entry) short.
const (
	capAddrMgr     = 64
	capTCLK        = 32
	capAPSKeyData  = 8
	capSecMaterial = 5
	capSecMgr      = 8
)

// Entry sizes of the aligned (CC26xx) structs.
const (
	addrMgrEntryLen     = 12 // user, pad, nwk u16, ieee
	tclkEntryLen        = 20 // tx u32, rx u32, ieee, attrs, type, shift, pad
	apsKeyDataEntryLen  = 24 // key16, tx u32, rx u32
	secMaterialEntryLen = 12 // frame counter u32, ext PAN
	secMgrEntryLen      = 6  // ami u16, keyNvId u16, authOption, pad
	nibLen              = 116
	nwkKeyLen           = 24 // seq, key16, pad3, frame counter u32
)

// NV status codes of the OSAL API (protocol/znp.md §5.1, §6) and of the
// extended NV driver (§8.1).
const (
	nvSuccess    = 0x00
	nvBadParam   = 0x02
	nvItemUninit = 0x09
	nvOperFailed = 0x0A
	nvBadItemLen = 0x0C

	nvxBadParam = 0x04
	nvxNotFound = 0x0A
)

// defaultPrecfgKey is Z-Stack's compiled-in default network key
// (DEFAULT_KEY in nwk_globals.c); the host is expected to replace it.
var defaultPrecfgKey = []byte{0x01, 0x03, 0x05, 0x07, 0x09, 0x0B, 0x0D, 0x0F, 0x00, 0x02, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0D}

type extKey struct {
	sys  uint8
	item uint16
	sub  uint16
}

func (k extKey) String() string { return fmt.Sprintf("%d/0x%04X/0x%04X", k.sys, k.item, k.sub) }

// nvStore is the coordinator's non-volatile memory: legacy OSAL items and
// extended (sysId, itemId, subId) items. Z-Stack 3.x.0 exposes the legacy
// items through the extended API as (1, 0, id) too.
type nvStore struct {
	legacy map[uint16][]byte
	ext    map[extKey][]byte
}

func newNVStore() *nvStore {
	return &nvStore{legacy: map[uint16][]byte{}, ext: map[extKey][]byte{}}
}

func (s *nvStore) get(id uint16) ([]byte, bool) {
	v, ok := s.legacy[id]
	return v, ok
}

func (s *nvStore) set(id uint16, v []byte) { s.legacy[id] = bytes.Clone(v) }

// getExt resolves an extended key, mapping (1, 0, id) onto legacy items.
func (s *nvStore) getExt(k extKey) ([]byte, bool) {
	if k.sys == sysZStack && k.item == exLegacy {
		return s.get(k.sub)
	}
	v, ok := s.ext[k]
	return v, ok
}

func (s *nvStore) setExt(k extKey, v []byte) {
	if k.sys == sysZStack && k.item == exLegacy {
		s.set(k.sub, v)
		return
	}
	s.ext[k] = bytes.Clone(v)
}

func (s *nvStore) deleteExt(k extKey) bool {
	if k.sys == sysZStack && k.item == exLegacy {
		_, ok := s.legacy[k.sub]
		delete(s.legacy, k.sub)
		return ok
	}
	_, ok := s.ext[k]
	delete(s.ext, k)
	return ok
}

func (s *nvStore) u8(id uint16) (uint8, bool) {
	v, ok := s.legacy[id]
	if !ok || len(v) < 1 {
		return 0, false
	}
	return v[0], true
}

// factoryNV returns the NV content of a freshly flashed Z-Stack 3.x.0
// coordinator image: configuration items at their compiled-in defaults,
// NWKKEY present (herdsman probes the struct alignment with its length),
// no NIB, no network, empty security tables.
func factoryNV(seed []byte) *nvStore {
	s := newNVStore()
	s.set(nvStartupOption, []byte{0})
	s.set(nvLogicalType, []byte{0})
	s.set(nvZDODirectCB, []byte{0})
	s.set(nvPANID, []byte{0xFF, 0xFF})
	s.set(nvChanList, binary.LittleEndian.AppendUint32(nil, 0x00000800))
	s.set(nvExtendedPANID, make([]byte, 8))
	s.set(nvAPSUseExtPANID, make([]byte, 8))
	s.set(nvPrecfgKey, defaultPrecfgKey)
	s.set(nvPrecfgKeysEnable, []byte{1})
	s.set(nvActiveKeyInfo, make([]byte, 17))
	s.set(nvAlternKeyInfo, make([]byte, 17))
	s.set(nvNwkKey, make([]byte, nwkKeyLen))
	s.set(nvBDBNodeOnNetwork, []byte{0})
	s.set(nvTCLKSeed, seed)
	resetTables(s)
	return s
}

// resetTables writes every entry of the security and address tables in
// their unused form, as the stack does when it clears the network state.
func resetTables(s *nvStore) {
	for i := range capAddrMgr {
		s.setExt(extKey{sysZStack, exAddrMgr, uint16(i)}, emptyAddrMgrEntry())
	}
	for i := range capTCLK {
		s.setExt(extKey{sysZStack, exTCLKTable, uint16(i)}, make([]byte, tclkEntryLen))
	}
	for i := range capAPSKeyData {
		s.setExt(extKey{sysZStack, exAPSKeyDataTable, uint16(i)}, make([]byte, apsKeyDataEntryLen))
	}
	for i := range capSecMaterial {
		s.setExt(extKey{sysZStack, exNwkSecMaterial, uint16(i)}, make([]byte, secMaterialEntryLen))
	}
	// APS_LINK_KEY_TABLE is an inline table: a u16 count of used entries,
	// then the entries (ami 0xFFFE = unused).
	sm := make([]byte, 2, 2+capSecMgr*secMgrEntryLen)
	for range capSecMgr {
		sm = append(sm, 0xFE, 0xFF, 0x00, 0x00, 0x00, 0x00)
	}
	s.set(nvAPSLinkKeyTable, sm)
}

func emptyAddrMgrEntry() []byte {
	e := []byte{0x00, 0xFF, 0xFE, 0xFF}
	return append(e, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
}

// nvJSON is the persisted form: hex values keyed by "0x0021" (legacy) or
// "1/0x0001/0x0000" (extended).
type nvJSON struct {
	Legacy map[string]string `json:"legacy"`
	Ext    map[string]string `json:"ext"`
}

func (s *nvStore) toJSON() nvJSON {
	j := nvJSON{Legacy: map[string]string{}, Ext: map[string]string{}}
	for id, v := range s.legacy {
		j.Legacy[fmt.Sprintf("0x%04X", id)] = hex.EncodeToString(v)
	}
	for k, v := range s.ext {
		j.Ext[k.String()] = hex.EncodeToString(v)
	}
	return j
}

func nvFromJSON(j nvJSON) (*nvStore, error) {
	s := newNVStore()
	for _, k := range slices.Sorted(maps.Keys(j.Legacy)) {
		id, err := strconv.ParseUint(k, 0, 16)
		if err != nil {
			return nil, fmt.Errorf("nv item %q: %w", k, err)
		}
		v, err := hex.DecodeString(j.Legacy[k])
		if err != nil {
			return nil, fmt.Errorf("nv item %q: %w", k, err)
		}
		s.legacy[uint16(id)] = v
	}
	for k, hv := range j.Ext {
		parts := strings.Split(k, "/")
		if len(parts) != 3 {
			return nil, fmt.Errorf("nv ext item %q: want sys/item/sub", k)
		}
		var nums [3]uint64
		for i, p := range parts {
			n, err := strconv.ParseUint(p, 0, 16)
			if err != nil {
				return nil, fmt.Errorf("nv ext item %q: %w", k, err)
			}
			nums[i] = n
		}
		if nums[0] > 0xFF {
			return nil, fmt.Errorf("nv ext item %q: sysId above 255", k)
		}
		v, err := hex.DecodeString(hv)
		if err != nil {
			return nil, fmt.Errorf("nv ext item %q: %w", k, err)
		}
		s.ext[extKey{uint8(nums[0]), uint16(nums[1]), uint16(nums[2])}] = v
	}
	return s, nil
}
