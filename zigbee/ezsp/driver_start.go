package ezsp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// Configuration ids, value ids, policies and bits the driver uses (ezsp.md
// §7.1, §7.2).
const (
	cfgSecurityLevel = 0x0D

	valTransientDeviceTimeout = 0x43
	valCCAThreshold           = 0x15

	policyTrustCenter    = 0x00
	policyBindingModify  = 0x01
	policyMessageContent = 0x04
	policyTCKeyRequest   = 0x05
	policyAppKeyRequest  = 0x06

	tcAllowJoins           = 0x01
	tcAllowUnsecuredRejoin = 0x02

	// Initial security bitmask: TC global link key, have preconfigured
	// key, have network key, TC uses hashed link key, require encrypted
	// key (herdsman's 0x0B84), plus NO_FRAME_COUNTER_RESET on restore.
	secFormBitmask       = 0x0004 | 0x0100 | 0x0200 | 0x0084 | 0x0800
	secNoFrameCounterRst = 0x1000
	// Extended security bitmask: joiner global link key, NWK leave
	// requests not allowed.
	extSecBitmask = 0x0110

	keyTypeNetwork = 1
	keyTypeTCLink  = 2

	nodeTypeCoordinator = 1
	highRAMConcentrator = 0xFFF9
	allChannels         = 0x07FFF800
)

// call runs a command; on a non-success status it fails with a
// *zigbee.StatusError (Reason = reason).
func (s *session) call(ctx context.Context, name string, p Params, reason error) (Params, error) {
	rsp, err := s.c.Call(ctx, name, p)
	if err != nil {
		return nil, err
	}
	if st, has := rsp["status"]; has {
		code, _ := toUint(st)
		if code != 0 {
			return rsp, s.statusErr(name, uint32(code), reason)
		}
	}
	return rsp, nil
}

// statusErr builds the error of a non-success status as the firmware
// reported it (Code is the v13 EmberStatus byte, Name the sl_status name).
func (s *session) statusErr(op string, raw uint32, reason error) error {
	v := s.c.Version()
	sl := ToSL(raw, v)
	code := uint8(raw)
	if v >= 14 {
		code = uint8(FromSL(sl, 13))
	}
	return fmt.Errorf("ezsp: %w", &zigbee.StatusError{Op: op, Code: code, Name: SLStatusName(sl), Reason: reason})
}

func (s *session) sl(p Params) uint32 { return ToSL(uint32(p.Uint("status")), s.c.Version()) }

// stackStatus matches stackStatusHandler with the given sl_status.
func (s *session) stackStatus(want uint32) func(Callback) bool {
	return func(cb Callback) bool {
		return cb.Command.ID == 0x0019 && s.sl(cb.Params) == want
	}
}

// start brings the network up on a fresh link (ezsp.md §9.3).
func (s *session) start(ctx context.Context) error {
	vi, err := s.c.Negotiate(ctx)
	if err != nil {
		if errors.Is(err, ErrVersion) {
			return fmt.Errorf("%w: %w", ErrUnsupportedFirmware, err)
		}
		return err
	}
	s.vi = vi
	s.fw = zigbee.Firmware{Stack: "ember", Product: "EmberZNet " + vi.StackString(), Protocol: fmt.Sprintf("EZSP v%d", vi.Protocol)}
	if rsp, err := s.call(ctx, "getValue", Params{"valueId": uint8(valueVersionInfo)}, nil); err == nil {
		if v := rsp.Bytes("value"); len(v) >= 7 {
			s.fw.Product = fmt.Sprintf("EmberZNet %d.%d.%d.%d", v[2], v[3], v[4], v[5])
			s.fw.Revision = strconv.Itoa(int(binary.LittleEndian.Uint16(v)))
		}
	}
	s.log.Info("coordinator firmware", "event", "firmware", "product", s.fw.Product, "build", s.fw.Revision,
		"protocol", s.fw.Protocol)
	if err := s.configure(ctx); err != nil {
		return err
	}
	d := s.d
	st, err := s.readState(ctx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	force := d.cfg.Network.ForceForm && !d.forced
	d.mu.Unlock()
	var backup *zigbee.Backup
	if !st.up && d.cfg.BackupPath != "" {
		backup = d.backupFile.Load()
	}
	plan, why := decide(d.cfg.Network, st, force, backup)
	s.log.Info("start-up decision", "event", "start_plan", "plan", plan.String(), "reason", why)
	if plan != driverkit.PlanResume && st.up {
		if err := s.leave(ctx); err != nil {
			return err
		}
	}
	formed := false
	switch plan {
	case driverkit.PlanRestore:
		err = s.restore(ctx, backup)
	case driverkit.PlanForm:
		var p netParams
		if p, err = s.newParams(d.cfg.Network); err == nil {
			err = s.form(ctx, p, nil)
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
	return s.finish(ctx, plan != driverkit.PlanResume, formed)
}

// configure writes the stack configuration, endpoints and policies, which
// the NCP forgets at every reset (herdsman's order, ezsp.md §9.1 #4–#28).
func (s *session) configure(ctx context.Context) error {
	soft := func(name string, p Params) {
		if _, err := s.call(ctx, name, p, nil); err != nil {
			s.log.Warn("NCP refused a setting", "event", "ncp_setting_refused", "cmd", name, "err", err)
		}
	}
	for _, c := range [][2]uint16{{0x19, 2}, {0x12, 7680}, {0x10, 30}, {0x2D, 1}} {
		soft("setConfigurationValue", Params{"configId": uint8(c[0]), "value": c[1]})
	}
	soft("setPolicy", Params{"policyId": uint8(policyBindingModify), "decisionId": uint8(0x12)})
	if _, err := s.call(ctx, "setPolicy", Params{"policyId": uint8(policyMessageContent), "decisionId": uint8(0x40)}, nil); err != nil {
		return err
	}
	soft("setValue", Params{"valueId": uint8(valTransientDeviceTimeout), "value": []byte{0x10, 0x27}})
	if _, err := s.c.Call(ctx, "setManufacturerCode", Params{"code": uint16(0x1049)}); err != nil {
		return err
	}
	for _, c := range [][2]uint16{{0x0C, 2}, {cfgSecurityLevel, 5}, {0x11, 32}, {0x13, 8}, {0x36, 300}} {
		soft("setConfigurationValue", Params{"configId": uint8(c[0]), "value": c[1]})
	}
	soft("setValue", Params{"valueId": uint8(valCCAThreshold), "value": []byte{0}})
	mc := uint8(0)
	for _, e := range s.d.cfg.Endpoints {
		rsp, err := s.c.Call(ctx, "getExtendedValue", Params{"valueId": uint8(0), "characteristics": uint32(e.Endpoint)})
		if err != nil {
			return err
		}
		if rsp.Uint("status") != 0 {
			in, out := clusters(e.InClusters), clusters(e.OutClusters)
			if _, err := s.call(ctx, "addEndpoint", Params{"endpoint": uint8(e.Endpoint), "profileId": uint16(e.Profile),
				"deviceId": e.DeviceID, "deviceVersion": e.DeviceVersion, "inputClusterList": in, "outputClusterList": out}, nil); err != nil {
				return fmt.Errorf("%w (endpoint %d)", err, e.Endpoint)
			}
		}
		s.eps[e.Endpoint] = e.Profile
		for _, g := range e.Groups {
			if _, err := s.call(ctx, "setMulticastTableEntry", Params{"index": mc, "multicastId": g,
				"endpoint": uint8(e.Endpoint), "networkIndex": uint8(0)}, nil); err != nil {
				return err
			}
			mc++
		}
	}
	for _, p := range [][2]uint8{{policyTCKeyRequest, 0x51}, {policyAppKeyRequest, 0x60}, {policyTrustCenter, tcAllowUnsecuredRejoin}} {
		if _, err := s.call(ctx, "setPolicy", Params{"policyId": p[0], "decisionId": p[1]}, nil); err != nil {
			return err
		}
	}
	return nil
}

func clusters(cs []zigbee.ClusterID) []uint16 {
	out := make([]uint16, len(cs))
	for i, c := range cs {
		out[i] = uint16(c)
	}
	return out
}

// ncpState is what the NCP holds after networkInit.
type ncpState struct {
	up     bool
	params Params // getNetworkParameters.parameters
	node   uint8
	key    zigbee.NetworkKey
	hasKey bool
}

func (st ncpState) channel() zigbee.Channel { return zigbee.Channel(st.params.Uint("radioChannel")) }
func (st ncpState) panID() zigbee.PANID     { return zigbee.PANID(st.params.Uint("panId")) }
func (st ncpState) extPANID() zigbee.ExtPANID {
	return zigbee.ExtPANID(st.params.Uint("extendedPanId"))
}

// readState runs networkInit and, when the NCP holds a network, reads it.
func (s *session) readState(ctx context.Context) (ncpState, error) {
	var st ncpState
	w := s.expect(s.stackStatus(SLNetworkUp))
	rsp, err := s.c.Call(ctx, "networkInit", Params{"networkInitBitmask": uint16(0x0003)})
	if err != nil {
		s.cancel(w)
		return st, err
	}
	switch sl := s.sl(rsp); sl {
	case SLNotJoined:
		s.cancel(w)
		return st, nil
	case SLOK:
	default:
		s.cancel(w)
		return st, s.statusErr("networkInit", uint32(rsp.Uint("status")), nil)
	}
	if _, err := s.wait(ctx, w, s.d.cfg.NetworkTimeout, "stackStatusHandler(NETWORK_UP) after networkInit"); err != nil {
		return st, err
	}
	st.up = true
	np, err := s.call(ctx, "getNetworkParameters", nil, nil)
	if err != nil {
		return st, err
	}
	st.params, st.node = np.Struct("parameters"), uint8(np.Uint("nodeType"))
	if k, err := s.exportKey(ctx, keyTypeNetwork); err == nil {
		st.key, st.hasKey = k, true
	} else {
		s.log.Warn("cannot export the network key", "event", "key_export_failed", "err", err)
	}
	return st, nil
}

// exportKey reads a key with the security manager (v13+).
func (s *session) exportKey(ctx context.Context, coreKeyType uint8) (zigbee.NetworkKey, error) {
	var k zigbee.NetworkKey
	rsp, err := s.call(ctx, "exportKey", Params{"context": Params{"coreKeyType": coreKeyType}}, nil)
	if err != nil {
		return k, err
	}
	copy(k[:], rsp.Bytes("key"))
	return k, nil
}

// decide applies the start-up decision with the matching rule of Run.
func decide(cfg zigbee.NetworkConfig, st ncpState, force bool, backup *zigbee.Backup) (driverkit.Plan, string) {
	switch {
	case force:
		return driverkit.PlanForm, "force_form is set"
	case !st.up && backup != nil:
		return driverkit.PlanRestore, "the NCP is blank and the backup file matches the configuration"
	case !st.up:
		return driverkit.PlanForm, "the NCP holds no network"
	}
	var diff []string
	if st.node != nodeTypeCoordinator {
		diff = append(diff, fmt.Sprintf("node type %d (not a coordinator)", st.node))
	}
	held := driverkit.NetworkParams{PANID: st.panID(), ExtPANID: st.extPANID(), Channel: st.channel(), Key: st.key}
	diff = append(diff, driverkit.Differences(cfg, held, st.hasKey)...)
	if len(diff) > 0 {
		return driverkit.PlanForm, "the NCP's network differs from the configuration: " + strings.Join(diff, ", ")
	}
	return driverkit.PlanResume, "the NCP's network matches the configuration"
}

// leave leaves the NCP's network and waits for NETWORK_DOWN.
func (s *session) leave(ctx context.Context) error {
	s.log.Info("leaving the NCP's network", "event", "network_leave")
	w := s.expect(s.stackStatus(SLNetworkDown))
	p := Params{}
	if s.c.Version() >= 14 {
		p["options"] = uint8(0)
	}
	if _, err := s.call(ctx, "leaveNetwork", p, nil); err != nil {
		s.cancel(w)
		return err
	}
	_, err := s.wait(ctx, w, s.d.cfg.NetworkTimeout, "stackStatusHandler(NETWORK_DOWN) after leaveNetwork")
	return err
}

// netParams are the parameters of a network to form.
type netParams struct {
	driverkit.NetworkParams
	mask     zigbee.ChannelMask
	updateID uint8
	keySeq   uint8
	tclk     []byte  // hashed TC link key; nil = random
	fc       *uint32 // NWK frame counter to continue from
}

// newParams fills the configuration's zero values
// (driverkit.NewNetworkParams), on all channels.
func (s *session) newParams(cfg zigbee.NetworkConfig) (netParams, error) {
	n, err := driverkit.NewNetworkParams(cfg, s.d.cfg.Rand)
	p := netParams{NetworkParams: n, mask: allChannels}
	if err != nil {
		return p, fmt.Errorf("ezsp: %w", err)
	}
	return p, nil
}

// form forms a network (ezsp.md §9.1 path B): the frame counter first,
// then the initial security state, the extended security bitmask, the key
// table, formNetwork, NETWORK_UP and stack token writing.
func (s *session) form(ctx context.Context, p netParams, restoring *zigbee.Backup) error {
	start := time.Now()
	s.log.Info("forming a network", "event", "network_form", "channel", int(p.Channel),
		"pan_id", p.PANID.String(), "ext_pan_id", p.ExtPANID.String(), "restore", restoring != nil)
	bitmask := uint16(secFormBitmask)
	if p.fc != nil {
		fc := make([]byte, 4)
		binary.LittleEndian.PutUint32(fc, *p.fc)
		if _, err := s.call(ctx, "setValue", Params{"valueId": uint8(valueNWKFrameCounter), "value": fc}, nil); err != nil {
			return err
		}
		bitmask |= secNoFrameCounterRst
	}
	tclk := p.tclk
	if len(tclk) != 16 {
		tclk = make([]byte, 16)
		if _, err := io.ReadFull(s.d.cfg.Rand, tclk); err != nil {
			return fmt.Errorf("ezsp: random TC link key: %w", err)
		}
	}
	if _, err := s.call(ctx, "setInitialSecurityState", Params{"bitmask": bitmask, "preconfiguredKey": tclk,
		"networkKey": bytes.Clone(p.Key[:]), "networkKeySequenceNumber": p.keySeq}, nil); err != nil {
		return err
	}
	if _, err := s.call(ctx, "setValue", Params{"valueId": uint8(valueExtSecurityBitmask), "value": []byte{extSecBitmask & 0xFF, extSecBitmask >> 8}}, nil); err != nil {
		return err
	}
	if restoring == nil {
		if _, err := s.call(ctx, "clearKeyTable", nil, nil); err != nil {
			return err
		}
	}
	power := int8(5)
	if s.d.cfg.TxPower != nil {
		power = *s.d.cfg.TxPower
	}
	mask := p.mask
	if mask == 0 {
		mask = allChannels
	}
	w := s.expect(s.stackStatus(SLNetworkUp))
	if _, err := s.call(ctx, "formNetwork", Params{"parameters": Params{"extendedPanId": uint64(p.ExtPANID), "panId": uint16(p.PANID),
		"radioTxPower": power, "radioChannel": uint8(p.Channel), "joinMethod": uint8(0), "nwkManagerId": uint16(0),
		"nwkUpdateId": p.updateID, "channels": uint32(mask)}}, nil); err != nil {
		s.cancel(w)
		return err
	}
	if _, err := s.wait(ctx, w, s.d.cfg.NetworkTimeout, "stackStatusHandler(NETWORK_UP) after formNetwork"); err != nil {
		return fmt.Errorf("%w: a network with the same PAN id or extended PAN id may exist nearby", err)
	}
	if _, err := s.call(ctx, "setValue", Params{"valueId": uint8(valueStackTokenWriting), "value": []byte{1}}, nil); err != nil {
		s.log.Warn("enabling stack token writing failed", "event", "stack_tokens_failed", "err", err)
	}
	s.log.Info("network formed", "event", "network_formed", "elapsed_ms", time.Since(start).Milliseconds())
	return nil
}

// Value ids used when forming.
const (
	valueStackTokenWriting  = 0x07
	valueExtSecurityBitmask = 0x0A
	valueVersionInfo        = 0x11
	valueNWKFrameCounter    = 0x23
)

// finish sets up routing, reads the network and keeps the backup file.
// changed means the network was just formed or restored; formed means new.
func (s *session) finish(ctx context.Context, changed, formed bool) error {
	if _, err := s.call(ctx, "setConcentrator", Params{"on": uint8(1), "concentratorType": uint16(highRAMConcentrator),
		"minTime": uint16(5), "maxTime": uint16(60), "routeErrorThreshold": uint8(3), "deliveryFailureThreshold": uint8(1),
		"maxHops": uint8(0)}, nil); err != nil {
		return err
	}
	if _, err := s.c.Call(ctx, "setSourceRouteDiscoveryMode", Params{"mode": uint8(2)}); err != nil {
		return err
	}
	if p := s.d.cfg.TxPower; p != nil {
		if _, err := s.call(ctx, "setRadioPower", Params{"power": *p}, nil); err != nil {
			s.log.Warn("setting the transmit power failed", "event", "tx_power_failed", "err", err)
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

// readInfo reads the running network's parameters.
func (s *session) readInfo(ctx context.Context) (zigbee.NetworkInfo, error) {
	info := zigbee.NetworkInfo{Firmware: s.fw}
	np, err := s.call(ctx, "getNetworkParameters", nil, nil)
	if err != nil {
		return info, err
	}
	p := np.Struct("parameters")
	info.Channel = zigbee.Channel(p.Uint("radioChannel"))
	info.PANID = zigbee.PANID(p.Uint("panId"))
	info.ExtPANID = zigbee.ExtPANID(p.Uint("extendedPanId"))
	info.UpdateID = uint8(p.Uint("nwkUpdateId"))
	info.ChannelMask = zigbee.ChannelMask(p.Uint("channels"))
	eui, err := s.c.Call(ctx, "getEui64", nil)
	if err != nil {
		return info, err
	}
	info.IEEE = zigbee.IEEE(eui.Uint("eui64"))
	node, err := s.c.Call(ctx, "getNodeId", nil)
	if err != nil {
		return info, err
	}
	info.NWK = zigbee.NWK(node.Uint("nodeId"))
	if ki, err := s.call(ctx, "getNetworkKeyInfo", nil, nil); err == nil {
		info.FrameCounter = uint32(ki.Uint("networkKeyFrameCounter"))
	} else {
		s.log.Debug("network key info not readable", "event", "key_info_unreadable", "err", err)
	}
	return info, nil
}
