package sim

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/zhubhq/zhub/zigbee/znp"
)

// herdsmanEndpoints are the endpoints herdsman registers, in its order
// (protocol/znp.md §10.3 step 13): id, profile.
var herdsmanEndpoints = [][2]uint16{
	{1, 0x0104}, {2, 0x0101}, {3, 0x0104}, {4, 0x0107}, {5, 0x0108}, {6, 0x0109}, {8, 0x0104},
	{10, 0x0104}, {11, 0x0104}, {110, 0x0104}, {12, 0xC05E}, {13, 0x0104}, {47, 0x0104},
	{239, 0xC001}, {242, 0xA1E0},
}

// hmNetwork is a herdsman network configuration.
type hmNetwork struct {
	pan     uint16
	ext     uint64 // big-endian display value
	channel uint8
	key     [16]byte
}

var testNet = hmNetwork{pan: 0x1A62, ext: 0x00124b00dddd0001, channel: 15,
	key: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}

// nvRead reads a legacy item the way herdsman does: OSAL_NV_LENGTH, then
// OSAL_NV_READ_EXT with increasing offsets. nil = item missing.
func (h *host) nvRead(id uint16) []byte {
	h.t.Helper()
	p := h.request(znp.SYS, 0x13, le16(id))
	l := int(binary.LittleEndian.Uint16(p))
	if l == 0 {
		return nil
	}
	var out []byte
	for len(out) < l {
		p := h.request(znp.SYS, 0x1C, append(le16(id), le16(uint16(len(out)))...))
		if p[0] != 0 || int(p[1]) != len(p)-2 || p[1] == 0 {
			h.t.Fatalf("NV read 0x%04X at %d: % X", id, len(out), p)
		}
		out = append(out, p[2:]...)
	}
	return out
}

// nvWrite writes an item like herdsman: LENGTH, ITEM_INIT (must answer
// 0x09) if missing, WRITE_EXT.
func (h *host) nvWrite(id uint16, v []byte) {
	h.t.Helper()
	p := h.request(znp.SYS, 0x13, le16(id))
	if binary.LittleEndian.Uint16(p) == 0 {
		req := append(append(le16(id), le16(uint16(len(v)))...), byte(len(v)))
		h.status(znp.SYS, 0x07, append(req, v...), 0x09)
	}
	req := append(append(le16(id), le16(0)...), le16(uint16(len(v)))...)
	h.status(znp.SYS, 0x1D, append(req, v...), 0x00)
}

// nvUpdate is herdsman's read-compare-write.
func (h *host) nvUpdate(id uint16, v []byte) {
	h.t.Helper()
	if cur := h.nvRead(id); !bytes.Equal(cur, v) {
		h.nvWrite(id, v)
	}
}

// herdsmanStart runs zigbee-herdsman's zstack start-up sequence with raw
// frames (protocol/znp.md §10.2–§10.4) and returns "resumed" or "reset".
func herdsmanStart(t *testing.T, h *host, cfg hmNetwork) string {
	t.Helper()
	h.request(znp.SYS, 0x01, nil)
	h.request(znp.SYS, 0x01, nil)
	if v := h.request(znp.SYS, 0x02, nil); v[1] != 1 {
		t.Fatalf("product %d, want 1 (Z-Stack 3.x.0)", v[1])
	}
	if k := h.nvRead(0x0082); len(k) != 24 {
		t.Fatalf("NWKKEY length %d, want 24 (aligned)", len(k))
	}
	conf := h.nvRead(0x0060)
	nib := h.nvRead(0x0021)
	h.nvRead(0x0062)
	active := h.nvRead(0x003A)
	altern := h.nvRead(0x003B)
	extLE := binary.LittleEndian.AppendUint64(nil, cfg.ext)
	matches := len(conf) == 1 && conf[0] == 0x55 && len(nib) == 116 &&
		binary.LittleEndian.Uint16(nib[36:]) == cfg.pan && bytes.Equal(nib[57:65], extLE) &&
		len(active) == 17 && bytes.Equal(active[1:], cfg.key[:]) &&
		len(altern) == 17 && bytes.Equal(altern[1:], cfg.key[:])
	result := "resumed"
	if matches {
		herdsmanBeginStartup(t, h)
	} else {
		result = "reset"
		herdsmanCommission(t, h, cfg)
	}
	herdsmanEndpointsAndGroup(t, h)
	info := h.request(znp.ZDO, 0x50, nil)
	if len(info) != 24 || info[23] != cfg.channel || binary.LittleEndian.Uint16(info[3:]) != cfg.pan {
		t.Fatalf("EXT_NWK_INFO % X", info)
	}
	return result
}

func herdsmanBeginStartup(t *testing.T, h *host) {
	t.Helper()
	di := h.request(znp.UTIL, 0x00, nil)
	if di[12] != 9 {
		h.status(znp.ZDO, 0x40, le16(100), 0)
		h.waitMatch(func(f znp.Frame) bool {
			return f.Header == hdr(znp.AREQ, znp.ZDO, 0xC0) && f.Payload[0] == 9
		})
	}
}

// herdsmanCommission is §10.4 F1–F10.
func herdsmanCommission(t *testing.T, h *host, cfg hmNetwork) {
	t.Helper()
	if p := h.request(znp.SYS, 0x13, le16(0x0021)); binary.LittleEndian.Uint16(p) != 0 {
		h.status(znp.SYS, 0x12, append(le16(0x0021), p...), 0)
	}
	h.nvWrite(0x0003, []byte{3})
	h.send(znp.SYS, 0x00, []byte{1})
	ind := h.waitFor(hdr(znp.AREQ, znp.SYS, 0x80))
	if !bytes.Equal(ind.Payload, []byte{0, 2, 1, 2, 7, 1}) {
		t.Fatalf("SYS_RESET_IND % X", ind.Payload)
	}
	h.nvWrite(0x0003, []byte{0})
	mask := binary.LittleEndian.AppendUint32(nil, 1<<cfg.channel)
	h.nvUpdate(0x0003, []byte{0})
	h.nvUpdate(0x0087, []byte{0})
	h.nvUpdate(0x008F, []byte{1})
	h.nvUpdate(0x0084, mask)
	h.nvUpdate(0x0083, le16(cfg.pan))
	extLE := binary.LittleEndian.AppendUint64(nil, cfg.ext)
	h.nvUpdate(0x002D, extLE)
	h.nvUpdate(0x0047, extLE)
	h.nvUpdate(0x0063, []byte{0})
	h.nvUpdate(0x0062, cfg.key[:])
	h.status(znp.APPCNF, 0x08, append([]byte{1}, mask...), 0)
	h.status(znp.APPCNF, 0x08, []byte{0, 0, 0, 0, 0}, 0)
	h.status(znp.APPCNF, 0x05, []byte{0x04}, 0)
	h.waitMatch(func(f znp.Frame) bool {
		return f.Header == hdr(znp.AREQ, znp.ZDO, 0xC0) && f.Payload[0] == 9
	})
	nib := h.nvRead(0x0021)
	if len(nib) != 116 || binary.LittleEndian.Uint16(nib[36:]) == 0xFFFF || nib[24] == 0 {
		t.Fatalf("NIB not settled: % X", nib)
	}
	if info := h.request(znp.ZDO, 0x50, nil); binary.LittleEndian.Uint16(info[3:]) != cfg.pan {
		t.Fatalf("PAN collision: EXT_NWK_INFO % X", info)
	}
	h.nvWrite(0x0060, []byte{0x55})
}

// herdsmanEndpointsAndGroup is §10.3 steps 12–15.
func herdsmanEndpointsAndGroup(t *testing.T, h *host) {
	t.Helper()
	h.status(znp.ZDO, 0x05, []byte{0, 0, 0, 0}, 0)
	rsp := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x85))
	if rsp.Payload[0] != 0 || rsp.Payload[1] != 0 || rsp.Payload[2] != 0 {
		t.Fatalf("ACTIVE_EP_RSP % X", rsp.Payload)
	}
	active := rsp.Payload[6:]
	for _, e := range herdsmanEndpoints {
		if bytes.IndexByte(active, byte(e[0])) >= 0 {
			continue
		}
		var b buf
		b.u8(uint8(e[0])).u16(e[1]).u16(0x0005).u8(0).u8(0).u8(0).u8(0)
		h.status(znp.AF, 0x00, b, 0)
	}
	p := h.request(znp.ZDO, 0x4A, []byte{242, 0x84, 0x0B})
	if len(p) != 19 {
		t.Fatalf("EXT_FIND_GROUP answer is %d bytes, want 19", len(p))
	}
	if p[0] == 1 {
		h.status(znp.ZDO, 0x4B, []byte{242, 0x84, 0x0B, 0}, 0)
	}
}

func TestHerdsmanFormThenResume(t *testing.T) {
	cfg := testConfig(t)
	n := startNet(t, cfg)
	h := openHost(t, n)
	if got := herdsmanStart(t, h, testNet); got != "reset" {
		t.Fatalf("first start: %s, want reset (factory-new dongle forms)", got)
	}
	// A second host run on the same running dongle resumes without
	// starting again (state is already 9).
	h2 := openHost(t, n)
	if got := herdsmanStart(t, h2, testNet); got != "resumed" {
		t.Fatalf("second start: %s, want resumed", got)
	}
	ci, err := n.Coordinator(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !ci.Formed || ci.PANID != 0x1A62 || ci.Channel != 15 || uint64(ci.ExtPANID) != testNet.ext || len(ci.Endpoints) != len(herdsmanEndpoints) {
		t.Fatalf("coordinator after resume: %+v", ci)
	}
}
