package hubtest

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"sync"

	"github.com/zhubhq/zhub/zigbee"
)

// AFRequest is one AF data request the host sent to the emulated ZNP
// dongle: AF_DATA_REQUEST (unicast to a NWK address) or
// AF_DATA_REQUEST_EXT (a group, a broadcast, an IEEE address).
type AFRequest struct {
	Mode    zigbee.AddrMode
	Dst     uint64 // group id, NWK or IEEE address, by Mode
	Cluster zigbee.ClusterID
	ZCL     []byte // the APS payload
}

// Group reports whether the request was a groupcast.
func (r AFRequest) Group() bool { return r.Mode == zigbee.AddrGroup }

// AFTrace is an io.Writer for sim.Config.Trace that keeps the AF data
// requests the host sends, so a test can count what went on the air
// (e.g. one groupcast instead of one unicast per device). A request is
// traced when the dongle has received it, before the host's Send returns.
// It is safe for concurrent use.
type AFTrace struct {
	mu   sync.Mutex
	buf  []byte
	reqs []AFRequest
}

// Write takes trace lines (see zigbee/sim's doc); other lines are ignored.
func (a *AFTrace) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf = append(a.buf, p...)
	for {
		i := bytes.IndexByte(a.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := a.buf[:i]
		a.buf = a.buf[i+1:]
		if r, ok := parseAFRequest(line); ok {
			a.reqs = append(a.reqs, r)
		}
	}
}

// Take returns the requests traced since the last Take.
func (a *AFTrace) Take() []AFRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.reqs
	a.reqs = nil
	return r
}

// parseAFRequest decodes "<micros> > <hex frame>" when the frame is an AF
// data request (protocol/znp.md §5.3: SOF, length, 0x24 0x01 or 0x24
// 0x02, payload, FCS).
func parseAFRequest(line []byte) (AFRequest, bool) {
	f := bytes.Fields(line)
	if len(f) != 3 || string(f[1]) != ">" {
		return AFRequest{}, false
	}
	b, err := hex.DecodeString(string(f[2]))
	if err != nil || len(b) < 5 || b[0] != 0xFE || b[2] != 0x24 || int(b[1]) != len(b)-5 {
		return AFRequest{}, false
	}
	p := b[4 : len(b)-1]
	switch {
	case b[3] == 0x01 && len(p) >= 10: // dst, dstEp, srcEp, cluster, tid, options, radius, len, data
		if int(p[9]) != len(p)-10 {
			return AFRequest{}, false
		}
		return AFRequest{Mode: zigbee.AddrNWK, Dst: uint64(binary.LittleEndian.Uint16(p)),
			Cluster: zigbee.ClusterID(binary.LittleEndian.Uint16(p[4:])), ZCL: bytes.Clone(p[10:])}, true
	case b[3] == 0x02 && len(p) >= 20: // mode, addr(8), dstEp, pan(2), srcEp, cluster(2), tid, options, radius, len(2), data
		if int(binary.LittleEndian.Uint16(p[18:])) != len(p)-20 {
			return AFRequest{}, false
		}
		return AFRequest{Mode: zigbee.AddrMode(p[0]), Dst: binary.LittleEndian.Uint64(p[1:]),
			Cluster: zigbee.ClusterID(binary.LittleEndian.Uint16(p[13:])), ZCL: bytes.Clone(p[20:])}, true
	}
	return AFRequest{}, false
}
