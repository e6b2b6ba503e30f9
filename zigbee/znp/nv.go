package znp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zhubhq/zhub/zigbee"
)

// Legacy OSAL NV item ids (protocol/znp.md §8.2).
const (
	nvExtAddr             = 0x0001
	nvStartupOption       = 0x0003
	nvNIB                 = 0x0021
	nvAddrMgr             = 0x0023
	nvExtendedPANID       = 0x002D
	nvNwkActiveKeyInfo    = 0x003A
	nvNwkAlternKeyInfo    = 0x003B
	nvAPSUseExtPANID      = 0x0047
	nvHasConfigured3      = 0x0060
	nvPreCfgKey           = 0x0062
	nvPreCfgKeysEnable    = 0x0063
	nvLegacySecMatFirst   = 0x0075
	nvLegacySecMatLast    = 0x0080
	nvNwkKey              = 0x0082
	nvPANID               = 0x0083
	nvChanList            = 0x0084
	nvLogicalType         = 0x0087
	nvZDODirectCB         = 0x008F
	nvTCLKSeed            = 0x0101
	nvLegacyTCLKFirst     = 0x0111
	nvLegacyTCLKLast      = 0x01FF
	hasConfiguredMagic    = 0x55
	startupClearAll       = 0x03
	logicalTypeCoord      = 0x00
	nvMaxChunk            = 240 // bytes per NV read/write request
	exSysIDZStack         = 0x01
	exMaxTableEntries     = 512 // a safety bound for reading ext tables
	nvStatusCreated       = 0x09
	exNVStatusNotFound    = 0x0A
	legacySecMatEntrySize = 12
)

// Extended NV item ids, sysId 1 (protocol/znp.md §8.3).
const (
	exAddrMgr             = 0x0001
	exTCLKTable           = 0x0004
	exTCLKICTable         = 0x0005
	exAPSKeyDataTable     = 0x0006
	exNwkSecMaterialTable = 0x0007
)

// nvStore reads and writes the ZNP's non-volatile items through a conn.
// It follows the rules of protocol/znp.md §8.5: items are created before
// they are written, and always written whole from offset 0.
type nvStore struct {
	c *conn
	// legacyRead means the firmware has no SYS_OSAL_NV_READ_EXT and the
	// one-byte-offset read must be used.
	legacyRead bool
}

func nvErr(op string, id uint16, status uint8) error {
	return fmt.Errorf("znp: NV item 0x%04X: %w", id, &zigbee.StatusError{Op: op, Code: status, Name: statusName(status)})
}

// length returns the length of a legacy item, 0 when it does not exist.
func (n *nvStore) length(ctx context.Context, id uint16) (int, error) {
	rsp, err := n.c.request(ctx, Frame{cmdSysOSALNVLength, le16(nil, id)})
	if err != nil {
		return 0, err
	}
	if len(rsp.Payload) < 2 {
		return 0, fmt.Errorf("znp: SYS_OSAL_NV_LENGTH: %w", errShortPayload)
	}
	return int(binary.LittleEndian.Uint16(rsp.Payload)), nil
}

// read returns a legacy item, or nil when it does not exist.
func (n *nvStore) read(ctx context.Context, id uint16) ([]byte, error) {
	size, err := n.length(ctx, id)
	if err != nil || size == 0 {
		return nil, err
	}
	out := make([]byte, 0, size)
	for len(out) < size {
		var req Frame
		if n.legacyRead {
			if len(out) > 0xFF {
				return nil, fmt.Errorf("znp: NV item 0x%04X is %d bytes, too long for SYS_OSAL_NV_READ", id, size)
			}
			req = Frame{cmdSysOSALNVRead, append(le16(nil, id), byte(len(out)))}
		} else {
			req = Frame{cmdSysOSALNVReadExt, le16(le16(nil, id), uint16(len(out)))}
		}
		rsp, err := n.c.request(ctx, req)
		if err != nil && !n.legacyRead && errors.Is(err, ErrRPC) {
			n.legacyRead = true // Z-Stack builds without the _EXT read
			continue
		}
		if err != nil {
			return nil, err
		}
		r := rd{b: rsp.Payload}
		status, l := r.u8(), int(r.u8())
		chunk := r.take(l)
		if r.err != nil {
			return nil, fmt.Errorf("znp: %s 0x%04X: %w", cmdName(req.Header), id, r.err)
		}
		if status != 0 {
			return nil, nvErr(cmdName(req.Header), id, status)
		}
		if l == 0 {
			return nil, fmt.Errorf("znp: %s 0x%04X: empty chunk at offset %d of %d", cmdName(req.Header), id, len(out), size)
		}
		out = append(out, chunk...)
	}
	return out[:size], nil
}

// write stores v as the whole item id, creating it when it does not exist.
// An existing item of another length is deleted and re-created.
func (n *nvStore) write(ctx context.Context, id uint16, v []byte) error {
	size, err := n.length(ctx, id)
	if err != nil {
		return err
	}
	if size != 0 && size != len(v) {
		if err := n.delete(ctx, id, size); err != nil {
			return err
		}
		size = 0
	}
	if size == 0 {
		initLen := min(len(v), nvMaxChunk)
		p := le16(le16(nil, id), uint16(len(v)))
		p = append(append(p, byte(initLen)), v[:initLen]...)
		rsp, err := n.c.request(ctx, Frame{cmdSysOSALNVItemInit, p})
		if err != nil {
			return err
		}
		if len(rsp.Payload) < 1 {
			return fmt.Errorf("znp: SYS_OSAL_NV_ITEM_INIT: %w", errShortPayload)
		}
		if st := rsp.Payload[0]; st != nvStatusCreated && st != 0 {
			return nvErr("SYS_OSAL_NV_ITEM_INIT", id, st)
		}
		if len(v) <= nvMaxChunk {
			return nil // created with its whole value
		}
	}
	// SimpleLink stores written bytes from the start of the item whatever
	// the offset (znp.md §8.5), so items are written in one piece when they
	// fit and in offset chunks only when they cannot.
	for off := 0; off < len(v); off += nvMaxChunk {
		chunk := v[off:min(len(v), off+nvMaxChunk)]
		p := le16(le16(le16(nil, id), uint16(off)), uint16(len(chunk)))
		rsp, err := n.c.request(ctx, Frame{cmdSysOSALNVWriteExt, append(p, chunk...)})
		if err != nil {
			return err
		}
		if len(rsp.Payload) < 1 {
			return fmt.Errorf("znp: SYS_OSAL_NV_WRITE_EXT: %w", errShortPayload)
		}
		if rsp.Payload[0] != 0 {
			return nvErr("SYS_OSAL_NV_WRITE_EXT", id, rsp.Payload[0])
		}
	}
	return nil
}

// ensure writes v to id unless the item already holds exactly v.
func (n *nvStore) ensure(ctx context.Context, id uint16, v []byte) error {
	cur, err := n.read(ctx, id)
	if err != nil {
		var se *zigbee.StatusError
		if !errors.As(err, &se) {
			return err
		}
		cur = nil // unreadable: write it
	}
	if bytes.Equal(cur, v) {
		return nil
	}
	return n.write(ctx, id, v)
}

// delete removes a legacy item of the given current length.
func (n *nvStore) delete(ctx context.Context, id uint16, size int) error {
	rsp, err := n.c.request(ctx, Frame{cmdSysOSALNVDelete, le16(le16(nil, id), uint16(size))})
	if err != nil {
		return err
	}
	if len(rsp.Payload) < 1 {
		return fmt.Errorf("znp: SYS_OSAL_NV_DELETE: %w", errShortPayload)
	}
	if st := rsp.Payload[0]; st != 0 && st != nvStatusCreated {
		return nvErr("SYS_OSAL_NV_DELETE", id, st)
	}
	return nil
}

func exHeader(item, sub uint16) []byte {
	return le16(le16([]byte{exSysIDZStack}, item), sub)
}

// exRead returns an extended item (Z-Stack 3.x.0), or nil when it does not
// exist.
func (n *nvStore) exRead(ctx context.Context, item, sub uint16) ([]byte, error) {
	rsp, err := n.c.request(ctx, Frame{cmdSysNVLength, exHeader(item, sub)})
	if err != nil {
		return nil, err
	}
	r := rd{b: rsp.Payload}
	var size int
	if len(rsp.Payload) >= 4 {
		size = int(r.u32())
	} else {
		size = int(r.u8()) // tolerate the one-byte form herdsman decodes
	}
	if r.err != nil {
		return nil, fmt.Errorf("znp: SYS_NV_LENGTH: %w", r.err)
	}
	if size == 0 {
		return nil, nil
	}
	out := make([]byte, 0, size)
	for len(out) < size {
		want := min(size-len(out), nvMaxChunk)
		p := le16(exHeader(item, sub), uint16(len(out)))
		rsp, err := n.c.request(ctx, Frame{cmdSysNVRead, append(p, byte(want))})
		if err != nil {
			return nil, err
		}
		r := rd{b: rsp.Payload}
		status, l := r.u8(), int(r.u8())
		chunk := r.take(l)
		if r.err != nil {
			return nil, fmt.Errorf("znp: SYS_NV_READ: %w", r.err)
		}
		if status == exNVStatusNotFound {
			return nil, nil
		}
		if status != 0 || l == 0 {
			return nil, fmt.Errorf("znp: ext NV item 0x%04X/%d: SYS_NV_READ status 0x%02X", item, sub, status)
		}
		out = append(out, chunk...)
	}
	return out[:size], nil
}

// exWrite writes (creating if needed) a whole extended item.
func (n *nvStore) exWrite(ctx context.Context, item, sub uint16, v []byte) error {
	if len(v) > nvMaxChunk {
		return fmt.Errorf("znp: ext NV item 0x%04X/%d: %d bytes do not fit one SYS_NV_WRITE", item, sub, len(v))
	}
	p := le16(exHeader(item, sub), 0)
	rsp, err := n.c.request(ctx, Frame{cmdSysNVWrite, append(append(p, byte(len(v))), v...)})
	if err != nil {
		return err
	}
	if len(rsp.Payload) < 1 {
		return fmt.Errorf("znp: SYS_NV_WRITE: %w", errShortPayload)
	}
	if rsp.Payload[0] != 0 {
		return fmt.Errorf("znp: ext NV item 0x%04X/%d: SYS_NV_WRITE status 0x%02X", item, sub, rsp.Payload[0])
	}
	return nil
}

// exTable reads the entries of an extended table: subIds 0, 1, 2, … until
// one does not exist (the loop herdsman uses, protocol/znp.md §8.3).
func (n *nvStore) exTable(ctx context.Context, item uint16) ([][]byte, error) {
	var out [][]byte
	for sub := range uint16(exMaxTableEntries) {
		v, err := n.exRead(ctx, item, sub)
		if err != nil {
			return nil, err
		}
		if v == nil {
			break
		}
		out = append(out, v)
	}
	return out, nil
}

// nib is the network information base (NV item 0x0021) in one of its two
// layouts (protocol/znp.md §8.4). raw is kept so it can be written back.
type nib struct {
	raw     []byte
	aligned bool
}

type nibOffsets struct {
	securityLevel, devAddr, channel, panID, state, channelList, extPANID, updateID int
}

var (
	nibUnaligned = nibOffsets{securityLevel: 12, devAddr: 20, channel: 22, panID: 33, state: 35, channelList: 36, extPANID: 53, updateID: 109}
	nibAligned   = nibOffsets{securityLevel: 12, devAddr: 22, channel: 24, panID: 36, state: 38, channelList: 40, extPANID: 57, updateID: 114}
)

const (
	nibLenUnaligned = 110
	nibLenAligned   = 116
)

func parseNIB(b []byte) (nib, error) {
	switch {
	case len(b) >= nibLenAligned:
		return nib{raw: bytes.Clone(b), aligned: true}, nil
	case len(b) >= nibLenUnaligned:
		return nib{raw: bytes.Clone(b)}, nil
	}
	return nib{}, fmt.Errorf("znp: NIB of %d bytes: %w", len(b), errShortPayload)
}

func (n nib) off() nibOffsets {
	if n.aligned {
		return nibAligned
	}
	return nibUnaligned
}

func (n nib) panID() zigbee.PANID {
	return zigbee.PANID(binary.LittleEndian.Uint16(n.raw[n.off().panID:]))
}
func (n nib) channel() zigbee.Channel { return zigbee.Channel(n.raw[n.off().channel]) }
func (n nib) channelList() zigbee.ChannelMask {
	return zigbee.ChannelMask(binary.LittleEndian.Uint32(n.raw[n.off().channelList:]))
}
func (n nib) extPANID() zigbee.ExtPANID {
	return zigbee.ExtPANID(binary.LittleEndian.Uint64(n.raw[n.off().extPANID:]))
}
func (n nib) updateID() uint8      { return n.raw[n.off().updateID] }
func (n nib) securityLevel() uint8 { return n.raw[n.off().securityLevel] }

// formed applies herdsman's test: a PAN id and a channel are set.
func (n nib) formed() bool { return n.panID() != 0xFFFF && n.channel() != 0 }

func (n nib) set(p zigbee.PANID, e zigbee.ExtPANID, ch zigbee.Channel, mask zigbee.ChannelMask, update, secLevel uint8) {
	o := n.off()
	binary.LittleEndian.PutUint16(n.raw[o.panID:], uint16(p))
	binary.LittleEndian.PutUint64(n.raw[o.extPANID:], uint64(e))
	n.raw[o.channel] = byte(ch)
	binary.LittleEndian.PutUint32(n.raw[o.channelList:], uint32(mask))
	n.raw[o.updateID] = update
	n.raw[o.securityLevel] = secLevel
}
