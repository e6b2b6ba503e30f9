package hub_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// bindTrace keeps the AF data requests (as hubtest.AFTrace) and the
// clusters of the ZDO_BIND_REQ frames (protocol/znp.md: SREQ 0x25 0x21,
// dst NWK, src IEEE, src endpoint, cluster, ...) the host sends.
type bindTrace struct {
	hubtest.AFTrace
	mu    sync.Mutex
	buf   []byte
	binds map[zigbee.IEEE][]zigbee.ClusterID
}

func (b *bindTrace) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	for {
		i := bytes.IndexByte(b.buf, '\n')
		if i < 0 {
			break
		}
		f := bytes.Fields(b.buf[:i])
		b.buf = b.buf[i+1:]
		if len(f) != 3 || string(f[1]) != ">" {
			continue
		}
		fr, err := hex.DecodeString(string(f[2]))
		if err != nil || len(fr) < 4+13+1 || fr[0] != 0xFE || fr[2] != 0x25 || fr[3] != 0x21 {
			continue
		}
		p := fr[4:]
		src := zigbee.IEEE(binary.LittleEndian.Uint64(p[2:]))
		b.binds[src] = append(b.binds[src], zigbee.ClusterID(binary.LittleEndian.Uint16(p[11:])))
	}
	b.mu.Unlock()
	return b.AFTrace.Write(p)
}

// takeBinds returns the bound clusters per device since the last call.
func (b *bindTrace) takeBinds() map[zigbee.IEEE][]zigbee.ClusterID {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.binds
	b.binds = map[zigbee.IEEE][]zigbee.ClusterID{}
	return r
}

// reportingClusters returns the clusters of the ZCL Configure Reporting
// requests sent to nwk, and the number of other AF requests sent to it.
func reportingClusters(reqs []hubtest.AFRequest, nwk zigbee.NWK) (clusters []zigbee.ClusterID, other int) {
	for _, r := range reqs {
		if r.Mode != zigbee.AddrNWK || r.Dst != uint64(nwk) {
			continue
		}
		cmd := -1
		if len(r.ZCL) >= 3 && r.ZCL[0]&0x03 == 0 { // a global command
			if r.ZCL[0]&0x04 != 0 && len(r.ZCL) >= 5 { // manufacturer specific
				cmd = int(r.ZCL[4])
			} else {
				cmd = int(r.ZCL[2])
			}
		}
		if cmd == int(zcl.CmdConfigureReporting) {
			clusters = append(clusters, r.Cluster)
		} else {
			other++
		}
	}
	return clusters, other
}

func sorted(cs []zigbee.ClusterID) []zigbee.ClusterID {
	cs = slices.Clone(cs)
	slices.Sort(cs)
	return slices.Compact(cs)
}

// TestConfigure: Configure sends the plug's binds and reporting
// configuration again (the same clusters as its interview did, nothing
// else), and refuses unknown devices and a device whose interview has not
// finished.
func TestConfigure(t *testing.T) {
	tr := &bindTrace{binds: map[zigbee.IEEE][]zigbee.ClusterID{}}
	env := hubtest.Start(t, hubtest.Options{
		Devices: []sim.DeviceSpec{{Kind: sim.KindPlug, IEEE: plug}, {Kind: sim.KindRemote, IEEE: remote}},
		Sim: func(c *sim.Config) {
			c.Trace = tr
			c.AwakeTime = time.Nanosecond // the remote sleeps at once ...
			c.PollInterval = time.Hour    // ... and never polls: its interview stays in progress
		},
	})
	ctx := context.Background()
	hubtest.Pair(t, env.Stack, env.Net, plug)
	dev, err := env.Hub.Device(plug.String())
	if err != nil {
		t.Fatal(err)
	}
	nwk := dev.NWK
	pairBinds := sorted(tr.takeBinds()[plug])
	pairReporting, _ := reportingClusters(tr.Take(), nwk)
	pairReporting = sorted(pairReporting)
	if !slices.Contains(pairBinds, zcl.ClusterOnOff) || !slices.Contains(pairReporting, zcl.ClusterOnOff) {
		t.Fatalf("interview: binds %v, reporting %v; want On/Off in both", pairBinds, pairReporting)
	}

	if err := env.Hub.Configure(ctx, plug.String()); err != nil {
		t.Fatalf("configure: %v", err)
	}
	binds := tr.takeBinds()
	reporting, other := reportingClusters(tr.Take(), nwk)
	if got := sorted(binds[plug]); !slices.Equal(got, pairBinds) {
		t.Errorf("configure bound %v, the interview %v", got, pairBinds)
	}
	if got := sorted(reporting); !slices.Equal(got, pairReporting) {
		t.Errorf("configure set reporting on %v, the interview on %v", got, pairReporting)
	}
	if other != 0 || len(binds) != 1 {
		t.Errorf("configure sent %d other AF requests to the plug and binds for %v", other, slices.Collect(maps.Keys(binds)))
	}
	if d, _ := env.Hub.Device(plug.String()); d.Interview.State != hub.InterviewSuccessful {
		t.Errorf("interview after configure: %+v", d.Interview)
	}

	// The remote joins and its interview gets stuck.
	if err := env.Net.Press(ctx, remote); err != nil {
		t.Fatal(err)
	}
	if err := env.Hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, env.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == remote && e.Interview.State == hub.InterviewInProgress
	})
	for _, tc := range []struct {
		name, dev string
		want      error
	}{
		{"unknown device", "plugg", hub.ErrUnknownDevice},
		{"not interviewed", remote.String(), hub.ErrNotInterviewed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr.takeBinds()
			tr.Take()
			err := env.Hub.Configure(ctx, tc.dev)
			if !errors.Is(err, tc.want) {
				t.Fatalf("configure %s: %v, want %v", tc.dev, err, tc.want)
			}
			if b := tr.takeBinds(); len(b) != 0 {
				t.Errorf("binds sent after a refusal: %v", b)
			}
		})
	}
}
