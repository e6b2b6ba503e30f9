package ezsp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// faultRig is a running network with a joined light.
type faultRig struct {
	n   *sim.Network
	h   *harness
	nwk zigbee.NWK
}

func newFaultRig(t *testing.T, version uint8, tweak func(*ezsp.Config)) *faultRig {
	t.Helper()
	dir := t.TempDir()
	n := startSim(t, simConfig(dir), version)
	cfg := driverConfig(n, dir)
	if tweak != nil {
		tweak(&cfg)
	}
	h := startDriver(t, cfg)
	up(h, 0)
	_, nwk := joinLight(t, n, h)
	return &faultRig{n: n, h: h, nwk: nwk}
}

// sendOK switches the light and checks that it did.
func (r *faultRig) sendOK(t *testing.T, on bool, tsn uint8) {
	t.Helper()
	if err := r.h.d.Send(t.Context(), onOff(r.nwk, on, tsn)); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := lightIsOn(t, r.h, r.nwk, tsn+1); got != on {
		t.Fatalf("light on = %v, want %v", got, on)
	}
}

func TestFaults(t *testing.T) {
	for _, v := range versions {
		t.Run(vname(v), func(t *testing.T) {
			t.Run("ash_reset_mid_request", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				at := r.h.mark()
				if err := r.n.ResetOnCommand(t.Context(), 0x0034); err != nil {
					t.Fatal(err)
				}
				err := r.h.d.Send(t.Context(), onOff(r.nwk, true, 1))
				if !errors.Is(err, zigbee.ErrCoordinatorReset) {
					t.Fatalf("send during a reset: %v", err)
				}
				down, at := waitEvent[zigbee.NetworkDown](r.h, at, nil)
				if !errors.Is(down.Err, zigbee.ErrCoordinatorReset) && !errors.Is(down.Err, ash.ErrNCPReset) {
					t.Fatalf("NetworkDown %v", down.Err)
				}
				if info, _ := up(r.h, at); info.Formed {
					t.Fatal("the network was formed again after a reset")
				}
				r.sendOK(t, true, 2)
			})
			t.Run("nak_storm", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				if err := r.n.NAKFrames(t.Context(), 4); err != nil {
					t.Fatal(err)
				}
				r.sendOK(t, true, 3)
			})
			t.Run("lost_frames_and_acks", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				if err := r.n.DropFrames(t.Context(), 2); err != nil {
					t.Fatal(err)
				}
				r.sendOK(t, true, 4)
			})
			t.Run("garbage_between_frames", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				if err := r.n.InjectRaw(t.Context(), []byte{0x00, 0xFF, 0x12, 0x34, 0x7E, 0x55, 0x18, 0x7E, 0x42, 0x1A}); err != nil {
					t.Fatal(err)
				}
				r.sendOK(t, true, 5)
				r.sendOK(t, false, 7)
			})
			t.Run("ncp_busy", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				if err := r.n.Busy(t.Context(), 2); err != nil {
					t.Fatal(err)
				}
				r.sendOK(t, true, 8)
				if err := r.n.Busy(t.Context(), 3); err != nil {
					t.Fatal(err)
				}
				err := r.h.d.Send(t.Context(), onOff(r.nwk, false, 10))
				se, ok := errors.AsType[*zigbee.StatusError](err)
				if !ok || !errors.Is(err, zigbee.ErrDeliveryFailed) || se.Name != "ZIGBEE_MAX_MESSAGE_LIMIT_REACHED" {
					t.Fatalf("send to a busy NCP: %v", err)
				}
				r.sendOK(t, false, 11)
			})
			t.Run("delivery_failure", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				if err := r.n.FailConfirms(t.Context(), 0xE9); err != nil {
					t.Fatal(err)
				}
				err := r.h.d.Send(t.Context(), onOff(r.nwk, true, 12))
				se, ok := errors.AsType[*zigbee.StatusError](err)
				if !ok || !errors.Is(err, zigbee.ErrDeliveryFailed) || se.Code != 0x66 || se.Op != "messageSentHandler" {
					t.Fatalf("send: %v", err)
				}
				r.sendOK(t, true, 13)
			})
			t.Run("no_response", func(t *testing.T) {
				r := newFaultRig(t, v, func(c *ezsp.Config) { c.CommandTimeout = 300 * time.Millisecond })
				if err := r.n.SilentOnCommand(t.Context(), 0x0034); err != nil {
					t.Fatal(err)
				}
				if err := r.h.d.Send(t.Context(), onOff(r.nwk, true, 14)); !errors.Is(err, zigbee.ErrTimeout) {
					t.Fatalf("send: %v", err)
				}
				r.sendOK(t, true, 15)
			})
			t.Run("ash_error", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				at := r.h.mark()
				if err := r.n.ASHError(t.Context(), 0x51); err != nil {
					t.Fatal(err)
				}
				down, at := waitEvent[zigbee.NetworkDown](r.h, at, nil)
				if !errors.Is(down.Err, ash.ErrNCPError) {
					t.Fatalf("NetworkDown %v", down.Err)
				}
				up(r.h, at)
				r.sendOK(t, true, 16)
			})
			t.Run("unplug_replug", func(t *testing.T) {
				r := newFaultRig(t, v, nil)
				at := r.h.mark()
				if err := r.n.Unplug(t.Context()); err != nil {
					t.Fatal(err)
				}
				_, at = waitEvent[zigbee.NetworkDown](r.h, at, nil)
				if err := r.h.d.Send(t.Context(), onOff(r.nwk, true, 17)); !errors.Is(err, zigbee.ErrNetworkDown) {
					t.Fatalf("send while unplugged: %v", err)
				}
				if err := r.n.Replug(t.Context()); err != nil {
					t.Fatal(err)
				}
				up(r.h, at)
				r.sendOK(t, true, 18)
			})
		})
	}
}

func vname(v uint8) string { return fmt.Sprintf("v%d", v) }

// oldNCP answers the ASH reset and the version command like an EmberZNet
// 6.10 stick (EZSP v8), then stays silent.
func oldNCP(t *testing.T) io.ReadWriteCloser {
	host, ncp := net.Pipe()
	go func() {
		defer ncp.Close()
		var d ash.Deframer
		buf := make([]byte, 256)
		frm := uint8(0)
		for {
			n, err := ncp.Read(buf)
			if err != nil {
				return
			}
			d.Write(buf[:n])
			for {
				raw, ok := d.Next()
				if !ok {
					break
				}
				f, err := ash.ParseFrame(raw)
				if err != nil {
					continue
				}
				var out []byte
				switch f.Type {
				case ash.TypeRST:
					out, _ = ash.AppendFrame([]byte{ash.Cancel}, ash.Frame{Type: ash.TypeRSTACK, Code: 0x0B})
				case ash.TypeData:
					rsp := []byte{f.Data[0], 0x80, 0x00, 0x08, 0x02, 0x30, 0x6A} // version: v8, EmberZNet 6.10.3
					out, _ = ash.AppendFrame(nil, ash.Frame{Type: ash.TypeData, FrmNum: frm, AckNum: (f.FrmNum + 1) & 7, Data: rsp})
					frm = (frm + 1) & 7
				default:
					continue
				}
				if _, err := ncp.Write(out); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() { host.Close() })
	return host
}

func TestFirmwareTooOld(t *testing.T) {
	cfg := ezsp.Config{
		Open:           func(context.Context) (io.ReadWriteCloser, error) { return oldNCP(t), nil },
		ReconnectDelay: time.Hour,
	}
	h := startDriver(t, cfg)
	down, _ := waitEvent[zigbee.NetworkDown](h, 0, nil)
	if !errors.Is(down.Err, ezsp.ErrUnsupportedFirmware) || !errors.Is(down.Err, zigbee.ErrUnsupported) ||
		!strings.Contains(down.Err.Error(), "firmware too old: EZSP v8") ||
		!strings.Contains(down.Err.Error(), "update to EmberZNet 7.4+") {
		t.Fatalf("NetworkDown %v", down.Err)
	}
}
