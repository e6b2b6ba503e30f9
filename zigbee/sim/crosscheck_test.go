package sim

import (
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee/znp"
)

// TestOutputDecodesWithDriverTables decodes every frame the sim sends
// during a start-up, join, interview and switching with the driver's
// independent command tables (zigbee/znp). The sim encodes by hand, so a
// disagreement points at a layout bug on one side.
func TestOutputDecodesWithDriverTables(t *testing.T) {
	cfg := testConfig(t)
	var tr syncBuffer
	cfg.Trace = &tr
	n, h := runningNet(t, cfg)
	for _, k := range Kinds() {
		_, nwk := joinDevice(t, n, h, k)
		nw := le16(uint16(nwk))
		h.status(znp.ZDO, 0x02, append(nw, nw...), 0)
		h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x82))
		h.status(znp.ZDO, 0x04, append(append(nw, nw...), 1), 0)
		h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x84))
		h.status(znp.ZDO, 0x31, append(nw, 0), 0)
		h.status(znp.ZDO, 0x33, append(nw, 0), 0)
	}
	h.status(znp.ZDO, 0x31, []byte{0, 0, 0}, 0)
	h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xB1))
	h.request(znp.UTIL, 0x00, nil)
	h.request(znp.ZDO, 0x50, nil)
	h.request(znp.SYS, 0x04, nil)
	if err := n.call(t.Context(), func() {}); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(tr.String(), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != "<" {
			continue
		}
		fr, err := znp.ParseFrame(mustFrame(t, f[2]))
		if err != nil {
			t.Errorf("invalid frame %s: %v", f[2], err)
			continue
		}
		if _, ok := znp.Lookup(fr.Header); !ok {
			t.Errorf("driver tables do not know %v (%s)", fr.Header, f[2])
			continue
		}
		if _, _, err := znp.Decode(fr); err != nil {
			t.Errorf("driver tables cannot decode %s: %v", f[2], err)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d frames checked", checked)
	}
}
