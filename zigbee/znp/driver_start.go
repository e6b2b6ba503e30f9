package znp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// modemLines is implemented by serial ports that can drive DTR and RTS
// (go.bug.st/serial does). On many CC2652/CC1352 sticks the lines reach
// the chip's reset and bootloader pins (protocol/znp.md §1.1).
type modemLines interface {
	SetDTR(bool) error
	SetRTS(bool) error
}

// firmware is what SYS_PING and SYS_VERSION report.
type firmware struct {
	caps                                    uint16
	transport, product, major, minor, maint uint8
	revision                                uint32
}

// Z-Stack generations by SYS_VERSION product id (protocol/znp.md §9).
const (
	productZStack12  = 0
	productZStack3x0 = 1
	productZStack30x = 2
	capAppCnf        = 1 << 10
)

func (f firmware) productName() string {
	switch f.product {
	case productZStack12:
		return "Z-Stack Home 1.2"
	case productZStack3x0:
		return "Z-Stack 3.x.0"
	case productZStack30x:
		return "Z-Stack 3.0.x"
	}
	return fmt.Sprintf("Z-Stack (product %d)", f.product)
}

// ext reports whether the firmware has the extended NV tables (3.x.0).
func (f firmware) ext() bool { return f.product == productZStack3x0 }

func (f firmware) zigbee() zigbee.Firmware {
	rev := ""
	if f.revision != 0 {
		rev = strconv.FormatUint(uint64(f.revision), 10)
	}
	return zigbee.Firmware{Stack: "zstack", Product: f.productName(), Revision: rev, Protocol: "MT"}
}

// start brings the network up on a fresh connection.
func (s *session) start(ctx context.Context) error {
	if err := s.probe(ctx); err != nil {
		return err
	}
	if err := s.detect(ctx); err != nil {
		return err
	}
	if p := s.d.cfg.TxPower; p != nil {
		rsp, err := s.c.request(ctx, Frame{cmdSysStackTune, []byte{0, byte(*p)}})
		if err != nil {
			s.log.Warn("setting the transmit power failed", "event", "tx_power_failed", "err", err)
		} else if len(rsp.Payload) > 0 {
			s.log.Info("transmit power set", "event", "tx_power", "dbm", int(*p), "applied", int(int8(rsp.Payload[0])))
		}
	}
	st, err := s.readState(ctx)
	if err != nil {
		return err
	}
	d := s.d
	d.mu.Lock()
	force := d.cfg.Network.ForceForm && !d.forced
	d.mu.Unlock()
	var backup *zigbee.Backup
	if !st.configured && d.cfg.BackupPath != "" {
		backup = d.backupFile.Load()
	}
	plan, why := decide(d.cfg.Network, st, force, backup)
	s.log.Info("start-up decision", "event", "start_plan", "plan", plan.String(), "reason", why,
		"firmware", s.fw.productName(), "revision", s.fw.revision)

	formed := false
	switch plan {
	case planResume:
		err = s.resume(ctx)
	case planRestore:
		err = s.restore(ctx, backup)
	case planForm:
		var p netParams
		if p, err = s.newParams(d.cfg.Network); err == nil {
			err = s.form(ctx, p, true)
			formed = true
		}
	}
	if err != nil {
		return err
	}
	if force {
		d.mu.Lock()
		d.forced = true
		d.mu.Unlock()
	}
	return s.finish(ctx, plan != planResume, formed)
}

// probe gets past a bootloader (protocol/znp.md §1.1): a quick SYS_PING,
// then the 0xEF skip byte and another ping, then a DTR/RTS reset pulse when
// the port has modem lines, then up to three normal pings.
func (s *session) probe(ctx context.Context) error {
	d := s.d
	ping := func(timeout time.Duration) error {
		_, err := s.c.requestTimeout(ctx, Frame{cmdSysPing, nil}, timeout)
		return err
	}
	err := ping(d.cfg.ProbeTimeout)
	if err == nil || !errors.Is(err, zigbee.ErrTimeout) {
		return err
	}
	s.log.Info("no answer to the first ping, sending the bootloader skip byte", "event", "bootloader_skip")
	if err := s.c.writeRaw([]byte{0xEF}); err != nil {
		return err
	}
	if err := driverkit.Sleep(ctx, d.cfg.BootloaderDelay); err != nil {
		return err
	}
	if err = ping(d.cfg.ProbeTimeout); err == nil || !errors.Is(err, zigbee.ErrTimeout) {
		return err
	}
	if lines, ok := s.c.rwc.(modemLines); ok {
		s.log.Info("no answer after the skip byte, pulsing DTR/RTS", "event", "bootloader_reset_lines")
		for _, rts := range []bool{false, true, false} {
			if err := lines.SetDTR(false); err != nil {
				break
			}
			if err := lines.SetRTS(rts); err != nil {
				break
			}
			if err := driverkit.Sleep(ctx, 150*time.Millisecond); err != nil {
				return err
			}
		}
	}
	for range 3 {
		if err = ping(d.cfg.SREQTimeout); err == nil || !errors.Is(err, zigbee.ErrTimeout) {
			return err
		}
	}
	return fmt.Errorf("znp: %w after the bootloader skip: is this a TI Z-Stack (ZNP) coordinator, "+
		"not an EZSP one, flashed with coordinator firmware and not held by another program? (%w)", ErrNoAnswer, err)
}

// detect reads the capabilities and version and refuses what the driver
// does not drive.
func (s *session) detect(ctx context.Context) error {
	rsp, err := s.c.request(ctx, Frame{cmdSysPing, nil})
	if err != nil {
		return err
	}
	r := rd{b: rsp.Payload}
	s.fw.caps = r.u16()
	if rsp, err = s.c.request(ctx, Frame{cmdSysVersion, nil}); err != nil {
		return err
	}
	r = rd{b: rsp.Payload}
	s.fw.transport, s.fw.product, s.fw.major, s.fw.minor, s.fw.maint = r.u8(), r.u8(), r.u8(), r.u8(), r.u8()
	if r.err != nil {
		return fmt.Errorf("znp: SYS_VERSION: %w", r.err)
	}
	if len(r.b) >= 4 {
		s.fw.revision = r.u32()
	}
	s.nv.legacyRead = false
	fw := s.fw
	s.log.Info("coordinator firmware", "event", "firmware", "product", fw.productName(),
		"version", fmt.Sprintf("%d.%d.%d", fw.major, fw.minor, fw.maint), "revision", fw.revision,
		"capabilities", fmt.Sprintf("0x%04X", fw.caps))
	switch {
	case fw.product == productZStack12 || fw.caps&capAppCnf == 0:
		return fmt.Errorf("znp: %w: %s (no BDB commissioning); flash Z-Stack 3.x.0 on a CC2652/CC1352 "+
			"or Z-Stack 3.0.x on a CC2530/CC2531", ErrUnsupportedFirmware, fw.productName())
	case fw.product != productZStack3x0 && fw.product != productZStack30x:
		s.log.Warn("unknown Z-Stack product id, driving it as Z-Stack 3.0.x", "event", "firmware_unknown", "product", fw.product)
	}
	return nil
}

// nvState is what the coordinator's NV says about its network.
type nvState struct {
	configured bool // HAS_CONFIGURED is set and the NIB holds a network
	nib        nib
	hasNIB     bool
	key        zigbee.NetworkKey
	keySeq     uint8
	hasKey     bool
}

// readState reads the items of the start-up decision (protocol/znp.md §10.2).
func (s *session) readState(ctx context.Context) (nvState, error) {
	var st nvState
	flag, err := s.nv.read(ctx, nvHasConfigured3)
	if err != nil {
		return st, err
	}
	raw, err := s.nv.read(ctx, nvNIB)
	if err != nil {
		return st, err
	}
	if raw != nil {
		if st.nib, err = parseNIB(raw); err != nil {
			s.log.Warn("unreadable NIB, treating the coordinator as blank", "event", "nib_invalid", "err", err)
		} else {
			st.hasNIB = true
		}
	}
	st.configured = len(flag) == 1 && flag[0] == hasConfiguredMagic && st.hasNIB && st.nib.formed()
	if k, err := s.nv.read(ctx, nvNwkActiveKeyInfo); err == nil && len(k) >= 17 {
		st.keySeq, st.hasKey = k[0], true
		copy(st.key[:], k[1:17])
	} else if err != nil {
		s.log.Warn("cannot read the active network key", "event", "nv_key_unreadable", "err", err)
	}
	return st, nil
}

// startPlan is what start does with the network in the coordinator.
type startPlan = driverkit.Plan

const (
	planResume  = driverkit.PlanResume
	planForm    = driverkit.PlanForm
	planRestore = driverkit.PlanRestore
)

// decide applies the start-up decision (protocol/znp.md §10.2, with the
// matching rule of Driver.Run).
func decide(cfg zigbee.NetworkConfig, st nvState, force bool, backup *zigbee.Backup) (startPlan, string) {
	switch {
	case force:
		return planForm, "force_form is set"
	case !st.configured && backup != nil:
		return planRestore, "the coordinator is blank and the backup file matches the configuration"
	case !st.configured:
		return planForm, "the coordinator holds no configured network"
	}
	n := st.nib
	held := netParams{PANID: n.panID(), ExtPANID: n.extPANID(), Channel: n.channel(), Key: st.key}
	if diff := driverkit.Differences(cfg, held, st.hasKey); len(diff) > 0 {
		return planForm, "the coordinator's network differs from the configuration: " + strings.Join(diff, ", ")
	}
	return planResume, "the coordinator's network matches the configuration"
}

// netParams are the parameters of a network to form.
type netParams = driverkit.NetworkParams

// newParams fills the configuration's zero values (driverkit.NewNetworkParams).
func (s *session) newParams(cfg zigbee.NetworkConfig) (netParams, error) {
	p, err := driverkit.NewNetworkParams(cfg, s.d.cfg.Rand)
	if err != nil {
		return p, fmt.Errorf("znp: %w", err)
	}
	return p, nil
}

// resume starts the network the coordinator already holds (protocol/znp.md
// §10.3 steps 10–11).
func (s *session) resume(ctx context.Context) error {
	if err := s.nv.ensure(ctx, nvZDODirectCB, []byte{1}); err != nil {
		return err
	}
	state, err := s.deviceState(ctx)
	if err != nil {
		return err
	}
	if state == devStateCoordinator {
		return nil
	}
	return s.startup(ctx)
}

// Device states (protocol/znp.md §7.3).
const devStateCoordinator = 9

// deviceState reads the device state from UTIL_GET_DEVICE_INFO.
func (s *session) deviceState(ctx context.Context) (uint8, error) {
	rsp, err := s.c.request(ctx, Frame{cmdUtilGetDeviceInfo, nil})
	if err != nil {
		return 0, err
	}
	r := rd{b: rsp.Payload}
	r.u8()
	r.u64()
	r.u16()
	r.u8()
	state := r.u8()
	if r.err != nil {
		return 0, fmt.Errorf("znp: UTIL_GET_DEVICE_INFO: %w", r.err)
	}
	return state, nil
}

// isCoordinatorState matches ZDO_STATE_CHANGE_IND with state ZB_COORD.
func isCoordinatorState(f Frame) bool {
	return f.Header == cmdZDOStateChangeInd && len(f.Payload) >= 1 && f.Payload[0] == devStateCoordinator
}

// startup sends ZDO_STARTUP_FROM_APP and waits for the coordinator state.
func (s *session) startup(ctx context.Context) error {
	w := s.c.expect(isCoordinatorState)
	rsp, err := s.c.request(ctx, Frame{cmdZDOStartupFromApp, le16(nil, 100)})
	if err != nil {
		s.c.cancel(w)
		return err
	}
	// 0 = restored, 1 = new network (Z-Stack 1.2 wording); 3.x.0 answers 0.
	if len(rsp.Payload) < 1 || rsp.Payload[0] > 1 {
		s.c.cancel(w)
		return fmt.Errorf("znp: ZDO_STARTUP_FROM_APP: status % X: the coordinator did not start", rsp.Payload)
	}
	_, err = s.c.wait(ctx, w, s.d.cfg.NetworkTimeout, "ZDO_STATE_CHANGE_IND (coordinator started)")
	return err
}

// reset soft-resets the ZNP and waits for SYS_RESET_IND.
func (s *session) resetZNP(ctx context.Context) error {
	w := s.c.expect(func(f Frame) bool { return f.Header == cmdSysResetInd })
	if err := s.c.send(Frame{cmdSysResetReq, []byte{1}}); err != nil {
		s.c.cancel(w)
		return err
	}
	_, err := s.c.wait(ctx, w, s.d.cfg.ResetTimeout, "SYS_RESET_IND")
	return err
}

// form forms a new network (protocol/znp.md §10.4): wipe the network state
// with STARTUP_OPTION, write the commissioning items, run BDB formation,
// wait for the coordinator state and check the result. markConfigured
// writes the HAS_CONFIGURED flag (a restore writes it itself, later).
func (s *session) form(ctx context.Context, p netParams, markConfigured bool) error {
	start := time.Now()
	s.log.Info("forming a new network", "event", "network_form", "channel", int(p.Channel),
		"pan_id", p.PANID.String(), "ext_pan_id", p.ExtPANID.String())
	nv := &s.nv
	if n, err := nv.length(ctx, nvNIB); err != nil {
		return err
	} else if n > 0 {
		if err := nv.delete(ctx, nvNIB, n); err != nil {
			return err
		}
	}
	if err := nv.write(ctx, nvStartupOption, []byte{startupClearAll}); err != nil {
		return err
	}
	if err := s.resetZNP(ctx); err != nil {
		return err
	}
	mask := p.Channel.Mask()
	items := []struct {
		id uint16
		v  []byte
	}{
		{nvStartupOption, []byte{0}},
		{nvLogicalType, []byte{logicalTypeCoord}},
		{nvZDODirectCB, []byte{1}},
		{nvChanList, le32(nil, uint32(mask))},
		{nvPANID, le16(nil, uint16(p.PANID))},
		{nvExtendedPANID, le64(nil, uint64(p.ExtPANID))},
		{nvAPSUseExtPANID, le64(nil, uint64(p.ExtPANID))},
		{nvPreCfgKeysEnable, []byte{0}},
		{nvPreCfgKey, p.Key[:]},
	}
	for _, it := range items {
		if err := nv.write(ctx, it.id, it.v); err != nil {
			return err
		}
	}
	for _, primary := range []struct {
		flag byte
		mask uint32
	}{{1, uint32(mask)}, {0, 0}} {
		rsp, err := s.c.request(ctx, Frame{cmdBDBSetChannel, le32([]byte{primary.flag}, primary.mask)})
		if err != nil {
			return err
		}
		if err := statusErr("APP_CNF_BDB_SET_CHANNEL", rsp.Payload, nil); err != nil {
			return err
		}
	}
	w := s.c.expect(isCoordinatorState)
	rsp, err := s.c.request(ctx, Frame{cmdBDBStartComm, []byte{0x04}}) // mode 4: network formation
	if err == nil {
		err = statusErr("APP_CNF_BDB_START_COMMISSIONING", rsp.Payload, nil)
	}
	if err != nil {
		s.c.cancel(w)
		return err
	}
	if _, err := s.c.wait(ctx, w, s.d.cfg.NetworkTimeout, "ZDO_STATE_CHANGE_IND (network formed)"); err != nil {
		return fmt.Errorf("%w: network formation timed out; a network with the same PAN id or extended PAN id may exist nearby", err)
	}
	// The NIB is written shortly after the state change; herdsman re-reads
	// it until it shows the network.
	var n nib
	for i := 0; ; i++ {
		raw, err := nv.read(ctx, nvNIB)
		if err != nil {
			return err
		}
		if raw != nil {
			if n, err = parseNIB(raw); err == nil && n.formed() {
				break
			}
		}
		if i == 30 {
			return fmt.Errorf("znp: the NIB shows no network after formation")
		}
		if err := driverkit.Sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	if n.panID() != p.PANID {
		return fmt.Errorf("znp: the network formed with PAN id %v instead of %v: another network nearby uses it", n.panID(), p.PANID)
	}
	if markConfigured {
		if err := nv.write(ctx, nvHasConfigured3, []byte{hasConfiguredMagic}); err != nil {
			return err
		}
	}
	s.log.Info("network formed", "event", "network_formed", "elapsed_ms", time.Since(start).Milliseconds())
	return nil
}

// finish registers the endpoints, reads the network parameters and keeps
// the backup file. changed means the network was just formed or restored;
// formed means it is new.
func (s *session) finish(ctx context.Context, changed, formed bool) error {
	for _, e := range s.d.cfg.Endpoints {
		if err := s.register(ctx, e); err != nil {
			return err
		}
	}
	info, err := s.readInfo(ctx)
	if err != nil {
		return err
	}
	info.Formed = formed
	s.info = info
	s.d.backupFile.Keep(ctx, changed, s.backup)
	return nil
}

// register sends AF_REGISTER; an endpoint registered before (the ZNP keeps
// them until it resets) answers APS_DUPLICATE_ENTRY, which is fine.
func (s *session) register(ctx context.Context, e EndpointConfig) error {
	rsp, err := s.c.request(ctx, registerFrame(e))
	if err != nil {
		return err
	}
	const apsDuplicateEntry = 0xB8
	if len(rsp.Payload) > 0 && rsp.Payload[0] == apsDuplicateEntry {
		rsp.Payload[0] = 0
	}
	if err := statusErr("AF_REGISTER", rsp.Payload, nil); err != nil {
		return fmt.Errorf("%w (endpoint %d)", err, e.Endpoint)
	}
	s.endpoints[e.Endpoint] = e.Profile
	return nil
}

// registerFrame builds AF_REGISTER (protocol/znp.md §5.3).
func registerFrame(e EndpointConfig) Frame {
	p := []byte{byte(e.Endpoint)}
	p = le16(le16(p, uint16(e.Profile)), e.DeviceID)
	p = append(p, e.DeviceVersion, 0, byte(len(e.InClusters)))
	for _, c := range e.InClusters {
		p = le16(p, uint16(c))
	}
	p = append(p, byte(len(e.OutClusters)))
	for _, c := range e.OutClusters {
		p = le16(p, uint16(c))
	}
	return Frame{cmdAFRegister, p}
}

// readInfo reads the running network's parameters.
func (s *session) readInfo(ctx context.Context) (zigbee.NetworkInfo, error) {
	info := zigbee.NetworkInfo{Firmware: s.fw.zigbee()}
	rsp, err := s.c.request(ctx, Frame{cmdUtilGetDeviceInfo, nil})
	if err != nil {
		return info, err
	}
	r := rd{b: rsp.Payload}
	r.u8()
	info.IEEE = zigbee.IEEE(r.u64())
	info.NWK = zigbee.NWK(r.u16())
	if r.err != nil {
		return info, fmt.Errorf("znp: UTIL_GET_DEVICE_INFO: %w", r.err)
	}
	raw, err := s.nv.read(ctx, nvNIB)
	if err != nil {
		return info, err
	}
	n, err := parseNIB(raw)
	if err != nil {
		return info, err
	}
	info.Channel, info.PANID, info.ExtPANID = n.channel(), n.panID(), n.extPANID()
	info.ChannelMask, info.UpdateID = n.channelList(), n.updateID()
	if fc, err := s.frameCounter(ctx, info.ExtPANID); err == nil {
		info.FrameCounter = fc
	} else {
		s.log.Debug("network frame counter not readable", "event", "frame_counter_unreadable", "err", err)
	}
	return info, nil
}

// frameCounter returns the outgoing NWK frame counter of the network with
// extended PAN id ext (protocol/znp.md §13): the security-material entry of
// that network, else the generic FF×8 entry.
func (s *session) frameCounter(ctx context.Context, ext zigbee.ExtPANID) (uint32, error) {
	var entries [][]byte
	if s.fw.ext() {
		var err error
		if entries, err = s.nv.exTable(ctx, exNwkSecMaterialTable); err != nil {
			return 0, err
		}
	} else {
		for id := uint16(nvLegacySecMatFirst); id <= nvLegacySecMatLast; id++ {
			v, err := s.nv.read(ctx, id)
			if err != nil {
				return 0, err
			}
			if v != nil {
				entries = append(entries, v)
			}
		}
	}
	generic, found := uint32(0), false
	for _, e := range entries {
		if len(e) < legacySecMatEntrySize {
			continue
		}
		fc, pan := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint64(e[4:])
		switch pan {
		case uint64(ext):
			return fc, nil
		case 0xFFFFFFFFFFFFFFFF:
			generic, found = fc, true
		}
	}
	if !found {
		return 0, fmt.Errorf("znp: no NWK security material entry for %v", ext)
	}
	return generic, nil
}
