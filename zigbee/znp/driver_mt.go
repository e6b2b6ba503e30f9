package znp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file holds the MT commands the driver sends or waits for, with
// payloads built and parsed by hand from the layouts in protocol/znp.md §5.

// Headers of the commands the driver sends or waits for, from the command
// tables.
var (
	cmdSysResetReq       = SysResetReq.RequestHeader()
	cmdSysPing           = SysPing.RequestHeader()
	cmdSysVersion        = SysVersion.RequestHeader()
	cmdSysOSALNVItemInit = SysOSALNVItemInit.RequestHeader()
	cmdSysOSALNVRead     = SysOSALNVRead.RequestHeader()
	cmdSysStackTune      = SysStackTune.RequestHeader()
	cmdSysOSALNVDelete   = SysOSALNVDelete.RequestHeader()
	cmdSysOSALNVLength   = SysOSALNVLength.RequestHeader()
	cmdSysOSALNVReadExt  = SysOSALNVReadExt.RequestHeader()
	cmdSysOSALNVWriteExt = SysOSALNVWriteExt.RequestHeader()
	cmdSysNVLength       = SysNVLength.RequestHeader()
	cmdSysNVRead         = SysNVRead.RequestHeader()
	cmdSysNVWrite        = SysNVWrite.RequestHeader()
	cmdSysResetInd       = SysResetInd.RequestHeader()
	cmdUtilGetDeviceInfo = UtilGetDeviceInfo.RequestHeader()
	cmdAFRegister        = AFRegister.RequestHeader()
	cmdAFDataRequest     = AFDataRequest.RequestHeader()
	cmdAFDataRequestExt  = AFDataRequestExt.RequestHeader()
	cmdAFDataRetrieve    = AFDataRetrieve.RequestHeader()
	cmdAFDataConfirm     = AFDataConfirm.RequestHeader()
	cmdAFIncomingMsg     = AFIncomingMsg.RequestHeader()
	cmdAFIncomingMsgExt  = AFIncomingMsgExt.RequestHeader()
	cmdZDOPermitJoinReq  = ZDOMgmtPermitJoinReq.RequestHeader()
	cmdZDOStartupFromApp = ZDOStartupFromApp.RequestHeader()
	cmdZDOStateChangeInd = ZDOStateChangeInd.RequestHeader()
	cmdZDOEndDeviceAnnce = ZDOEndDeviceAnnceInd.RequestHeader()
	cmdZDOStatusErrorRsp = ZDOStatusErrorRsp.RequestHeader()
	cmdZDOSrcRtgInd      = ZDOSrcRtgInd.RequestHeader()
	cmdZDOLeaveInd       = ZDOLeaveInd.RequestHeader()
	cmdZDOTCDevInd       = ZDOTCDevInd.RequestHeader()
	cmdZDOPermitJoinInd  = ZDOPermitJoinInd.RequestHeader()
	cmdBDBStartComm      = AppCnfBDBStartCommissioning.RequestHeader()
	cmdBDBSetChannel     = AppCnfBDBSetChannel.RequestHeader()
)

// cmdName returns the MT name of h, or its numeric form.
func cmdName(h Header) string {
	if c, ok := Lookup(h); ok {
		return c.Name
	}
	return fmt.Sprintf("%s_0x%02X", h.Subsystem, h.ID)
}

// errShortPayload means a response is shorter than its layout.
var errShortPayload = errors.New("short payload")

// rd decodes little-endian fields from a payload. After the first short
// read every further read returns zero and err is set, so a decoder can read
// all fields and check err once.
type rd struct {
	b   []byte
	err error
}

func (r *rd) take(n int) []byte {
	if r.err != nil || len(r.b) < n {
		if r.err == nil {
			r.err = errShortPayload
		}
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *rd) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *rd) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *rd) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *rd) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// keyNVIDs are the legacy NV items that hold keys; frames that read or
// write them are never logged with their payload.
func isKeyNVID(id uint16) bool {
	switch id {
	case nvNwkActiveKeyInfo, nvNwkAlternKeyInfo, nvPreCfgKey, nvNwkKey, nvTCLKSeed:
		return true
	}
	return id >= 0x0111 && id <= 0x02FF // legacy TCLK table and APS link key data
}

// sensitive reports whether a request carries or asks for key material.
// conn redacts such requests and the SRSP that answers them.
func sensitive(f Frame) bool {
	h := f.Header
	if h.Subsystem == SAPI && (h.ID == 0x04 || h.ID == 0x05) {
		return true // ZB_READ/WRITE_CONFIGURATION (keys on Z-Stack 1.2)
	}
	if h.Subsystem != SYS {
		return false
	}
	switch h.ID {
	case 0x07, 0x08, 0x09, 0x1C, 0x1D: // OSAL NV item init, read, write
		if len(f.Payload) >= 2 {
			return isKeyNVID(binary.LittleEndian.Uint16(f.Payload))
		}
	case 0x33, 0x34, 0x35: // extended NV read/write/update
		if len(f.Payload) >= 3 {
			switch binary.LittleEndian.Uint16(f.Payload[1:]) {
			case exTCLKTable, exTCLKICTable, exAPSKeyDataTable:
				return true
			}
		}
	}
	return false
}

// statusName names a Z-Stack status code (protocol/znp.md §6).
func statusName(s uint8) string { return Status(s).Name() }

// zdpStatusName names ZDP status codes inside ZDO responses.
func zdpStatusName(s uint8) string {
	switch s {
	case 0x00:
		return "SUCCESS"
	case 0x80:
		return "INV_REQUESTTYPE"
	case 0x81:
		return "DEVICE_NOT_FOUND"
	case 0x82:
		return "INVALID_EP"
	case 0x83:
		return "NOT_ACTIVE"
	case 0x84:
		return "NOT_SUPPORTED"
	case 0x85:
		return "TIMEOUT"
	case 0x86:
		return "NO_MATCH"
	case 0x88:
		return "NO_ENTRY"
	case 0x89:
		return "NO_DESCRIPTOR"
	case 0x8A:
		return "INSUFFICIENT_SPACE"
	case 0x8B:
		return "NOT_PERMITTED"
	case 0x8C:
		return "TABLE_FULL"
	case 0x8D:
		return "NOT_AUTHORIZED"
	}
	return statusName(s)
}
