package sim

import (
	"bytes"
	"testing"

	"github.com/zhubhq/zhub/zigbee/znp"
)

func TestPingAndVersion(t *testing.T) {
	n := startNet(t, testConfig(t))
	h := openHost(t, n)
	h.write(mustFrame(t, "FE00210120"))
	f := h.next()
	if got := mustFrame(t, "FE02610159063D"); !bytes.Equal(frameBytes(f.Type, f.Subsystem, f.ID, f.Payload), got) {
		t.Fatalf("ping answer % X", f.Payload)
	}
	if p := h.request(znp.SYS, 0x02, nil); !bytes.Equal(p, mustFrame(t, "02010207 0146D9340100")) {
		t.Fatalf("version % X", p)
	}
}
