package sim

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// The EmberZNet front end: the same virtual network and devices behind an
// emulated Silicon Labs NCP that speaks ASH and EZSP (v13 = EmberZNet
// 7.4.x, or v14+ = 8.x) byte for byte like the firmware
// (shared/protocol/ezsp.md). It is selected with NewEZSP; the pty, TCP and
// in-process links, the control API, the fault hooks and the state file
// work as with the Z-Stack front end.
//
// The firmware model underneath stays the Z-Stack one: the NCP keeps its
// network in the same NV items (NIB, keys, frame counter, address tables,
// the TCLK seed as the hashed trust-center link key), registers its
// endpoints as AF endpoints and receives the model's AREQs (areq), which
// it translates into EZSP callbacks. EmberZNet-only tokens are kept in NV
// items 0x0F00 and up of the same state file (ezspToken*).
//
// The ASH side of the NCP runs on the network loop: frame numbers, a
// window of ezspWindow frames towards the host, retransmission on a timer
// and on NAK, the reject condition, nRdy, and the FAILED state that answers
// everything but RST with ERROR (ezsp.md §3, §4).

// EZSPConfig selects what the emulated NCP reports.
type EZSPConfig struct {
	// Version is the EZSP protocol version, 13 (EmberZNet 7.4.3) or 14–19
	// (EmberZNet 8.x; v14 layouts); default 13.
	Version uint8
}

// NCP ASH parameters (ezsp.md §3.6).
const (
	ezspWindow      = 5 // TX_K
	ezspAckTime     = 1600 * time.Millisecond
	ezspAckTimeouts = 4
	ezspNotReady    = time.Second // T_REMOTE_NOTRDY
)

// EmberZNet tokens kept in NV (not Z-Stack items; the ZNP front end ignores
// them).
const (
	ezspTokenTxPower  = 0x0F00 // i8 radio power of the formed network
	ezspTokenSecurity = 0x0F01 // u16 initial security bitmask
)

// NewEZSP is New with the EmberZNet front end: hosts reach the virtual
// network through an emulated EZSP NCP instead of a Z-Stack ZNP.
func NewEZSP(cfg Config, ec EZSPConfig) (*Network, error) {
	if ec.Version == 0 {
		ec.Version = 13
	}
	if ec.Version < 13 || ec.Version > ezsp.MaxVersion {
		return nil, fmt.Errorf("sim: EZSP version %d: want 13–%d", ec.Version, ezsp.MaxVersion)
	}
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	e := &ezspNCP{n: n, cfg: ec, deframers: map[*link]*ash.Deframer{}}
	e.powerUp()
	n.front = e
	n.msgCB[0xFFFF] = true
	return n, nil
}

// OpenEZSP opens an in-process link to the emulated NCP (OpenZNP under
// another name: the link carries whatever the front end speaks).
func (n *Network) OpenEZSP(ctx context.Context) (io.ReadWriteCloser, error) { return n.OpenZNP(ctx) }

// EZSPVersion returns the emulated EZSP version, or 0 for a Z-Stack front
// end.
func (n *Network) EZSPVersion() uint8 {
	if e, ok := n.front.(*ezspNCP); ok {
		return e.cfg.Version
	}
	return 0
}

// ezspNCP is the emulated NCP. Fields below the mutex are owned by the
// network loop.
type ezspNCP struct {
	n   *Network
	cfg EZSPConfig

	rxMu      sync.Mutex
	deframers map[*link]*ash.Deframer

	// ASH state.
	connected    bool
	failed       bool
	failCode     uint8
	resetPending bool // the host sent RST: RSTACK(software) follows the boot
	rxNext       uint8
	reject       bool
	txNext       uint8
	ackBase      uint8
	unacked      [][]byte
	queue        []ezspOut
	timerGen     uint64
	timeouts     int
	notReadyAt   time.Time // host said nRdy then; zero = ready

	// EZSP state, volatile (lost at every reset).
	version   uint8 // 0 until the first version command
	lastSeq   uint8
	config    map[uint8]uint16
	policies  map[uint8]uint8
	values    map[uint8][]byte
	mfgCode   uint16
	multicast [16]struct {
		id     uint16
		ep     uint8
		active bool
	}
	security   *ezspSecurity // from setInitialSecurityState
	pendingFC  *uint32       // setValue(NWK_FRAME_COUNTER) before formation
	keyTable   map[uint8]ezspLinkKey
	txPower    int8
	apsSeq     uint8
	incomingSq uint8

	// Fault hooks.
	faultNAK    int
	faultDrop   int
	faultBusy   int
	faultReset  map[uint16]bool // reset the chip when this frame id arrives
	faultSilent map[uint16]bool // never answer this frame id (once)
}

type ezspOut struct {
	data     []byte
	callback bool
}

type ezspSecurity struct {
	bitmask uint16
	preKey  []byte
	nwkKey  []byte
	seq     uint8
}

type ezspLinkKey struct {
	eui uint64
	key []byte
}

// powerUp sets the volatile state of a freshly booted NCP.
func (e *ezspNCP) powerUp() {
	e.connected, e.failed, e.reject = false, false, false
	e.rxNext, e.txNext, e.ackBase = 0, 0, 0
	e.unacked, e.queue = nil, nil
	e.timerGen++
	e.timeouts = 0
	e.notReadyAt = time.Time{}
	e.version, e.lastSeq = 0, 0
	e.config = map[uint8]uint16{}
	for id, v := range ezspConfigDefaults {
		e.config[id] = v
	}
	e.policies = map[uint8]uint8{}
	e.values = map[uint8][]byte{}
	e.mfgCode = 0
	clear(e.multicast[:])
	e.security, e.pendingFC = nil, nil
	e.keyTable = map[uint8]ezspLinkKey{}
	e.txPower = 5
	if v, ok := e.n.nv.get(ezspTokenTxPower); ok && len(v) == 1 {
		e.txPower = int8(v[0])
	}
	e.faultReset, e.faultSilent = map[uint16]bool{}, map[uint16]bool{}
}

// receive is called by a link's reader with bytes from the host.
func (e *ezspNCP) receive(l *link, b []byte) error {
	now := time.Now()
	e.rxMu.Lock()
	d := e.deframers[l]
	if d == nil {
		d = &ash.Deframer{}
		e.deframers[l] = d
	}
	d.Write(b)
	type in struct {
		f   ash.Frame
		err error
		raw string
	}
	var ins []in
	for {
		raw, ok := d.Next()
		if !ok {
			break
		}
		f, err := ash.ParseFrame(raw)
		if err == nil && f.Type == ash.TypeData {
			f.Data = append([]byte(nil), f.Data...)
		}
		ins = append(ins, in{f, err, hexUpper(raw)})
	}
	e.rxMu.Unlock()
	for _, x := range ins {
		if x.err != nil {
			e.n.traceLine(now, '#', "bad-frame "+x.raw+" ("+x.err.Error()+")")
		} else {
			e.n.traceLine(now, '>', x.raw+"7E")
		}
		if !e.n.post(func() { e.hostFrame(x.f, x.err) }) {
			return fmt.Errorf("sim: %w", ErrStopped)
		}
	}
	return nil
}

// write sends one ASH frame to the host.
func (e *ezspNCP) write(prefix []byte, f ash.Frame) {
	b, err := ash.AppendFrame(append([]byte(nil), prefix...), f)
	if err != nil {
		panic(fmt.Sprintf("sim: ASH frame %v: %v", f, err))
	}
	e.n.write(b)
}

// hostFrame handles one ASH frame from the host (on the loop).
func (e *ezspNCP) hostFrame(f ash.Frame, perr error) {
	n := e.n
	if n.booting {
		return // rebooting: the UART is not listening
	}
	if perr == nil && f.Type == ash.TypeRST {
		n.log.Info("host ASH reset", "event", "ash_rst")
		e.resetPending = true
		n.reset(0x00)
		return
	}
	if e.failed {
		e.write(nil, ash.Frame{Type: ash.TypeError, Code: e.failCode})
		return
	}
	if !e.connected {
		return // the host must reset the link first
	}
	if perr != nil {
		e.nak()
		return
	}
	switch f.Type {
	case ash.TypeData:
		e.ack(f.AckNum)
		switch {
		case f.FrmNum == e.rxNext && e.faultDrop > 0:
			e.faultDrop--
			n.log.Debug("host DATA frame lost by fault hook", "event", "fault_ash_drop")
			return
		case f.FrmNum == e.rxNext && e.faultNAK > 0:
			e.faultNAK--
			e.write(nil, ash.Frame{Type: ash.TypeNAK, AckNum: e.rxNext})
			return
		case f.FrmNum == e.rxNext:
			e.rxNext = (e.rxNext + 1) & 7
			e.reject = false
			e.write(nil, ash.Frame{Type: ash.TypeACK, AckNum: e.rxNext})
			e.command(f.Data)
		case f.ReTx:
			e.write(nil, ash.Frame{Type: ash.TypeACK, AckNum: e.rxNext})
		default:
			e.nak()
		}
	case ash.TypeACK, ash.TypeNAK:
		e.ack(f.AckNum)
		if f.NotReady {
			e.notReadyAt = time.Now()
		} else {
			e.notReadyAt = time.Time{}
		}
		if f.Type == ash.TypeNAK {
			e.retransmit()
		}
	}
	e.pump()
}

func (e *ezspNCP) nak() {
	if e.reject {
		return
	}
	e.reject = true
	e.write(nil, ash.Frame{Type: ash.TypeNAK, AckNum: e.rxNext})
}

// ack processes an ackNum from the host.
func (e *ezspNCP) ack(num uint8) {
	k := int((num - e.ackBase) & 7)
	if k == 0 || k > len(e.unacked) {
		return
	}
	e.unacked = e.unacked[k:]
	e.ackBase = num
	e.timeouts = 0
	e.timerGen++
	if len(e.unacked) > 0 {
		e.armTimer()
	}
}

// send queues an EZSP frame for the host.
func (e *ezspNCP) send(data []byte, callback bool) {
	e.queue = append(e.queue, ezspOut{data: data, callback: callback})
	e.pump()
}

// pump sends queued frames while the window has room. While the host says
// nRdy, callbacks wait (responses still flow) for at most ezspNotReady.
func (e *ezspNCP) pump() {
	for len(e.queue) > 0 && len(e.unacked) < ezspWindow && e.connected && !e.failed {
		o := e.queue[0]
		if o.callback && !e.notReadyAt.IsZero() {
			if wait := ezspNotReady - time.Since(e.notReadyAt); wait > 0 {
				g := e.timerGen
				e.n.afterCoord(wait, func() {
					if e.timerGen == g {
						e.notReadyAt = time.Time{}
						e.pump()
					}
				})
				return
			}
			e.notReadyAt = time.Time{}
		}
		e.queue = e.queue[1:]
		if len(e.unacked) == 0 {
			e.ackBase = e.txNext
		}
		e.unacked = append(e.unacked, o.data)
		e.write(nil, ash.Frame{Type: ash.TypeData, FrmNum: e.txNext, AckNum: e.rxNext, Data: o.data})
		e.txNext = (e.txNext + 1) & 7
		if len(e.unacked) == 1 {
			e.timerGen++
			e.armTimer()
		}
	}
}

// armTimer retransmits if the host does not acknowledge in time, and fails
// after ezspAckTimeouts timeouts (ezsp.md §3.4).
func (e *ezspNCP) armTimer() {
	g := e.timerGen
	e.n.afterCoord(ezspAckTime, func() {
		if e.timerGen != g || len(e.unacked) == 0 || !e.connected {
			return
		}
		e.timeouts++
		if e.timeouts >= ezspAckTimeouts {
			e.fail(0x51)
			return
		}
		e.retransmit()
		e.timerGen++
		e.armTimer()
	})
}

func (e *ezspNCP) retransmit() {
	for i, data := range e.unacked {
		e.write(nil, ash.Frame{Type: ash.TypeData, FrmNum: (e.ackBase + uint8(i)) & 7, AckNum: e.rxNext, ReTx: true, Data: data})
	}
}

// fail enters the FAILED state: ERROR now and to every frame but RST.
func (e *ezspNCP) fail(code uint8) {
	e.n.log.Warn("NCP entered the FAILED state", "event", "ash_failed", "code", code)
	e.failed, e.failCode = true, code
	e.timerGen++
	e.write(nil, ash.Frame{Type: ash.TypeError, Code: code})
}

// booted finishes a chip reset: the NCP starts over and says why with
// RSTACK (a host RST is answered with RESET_SOFTWARE).
func (e *ezspNCP) booted(znpReason uint8) {
	n := e.n
	e.powerUp()
	n.msgCB[0xFFFF] = true
	code := uint8(0x02) // power on
	switch {
	case e.resetPending:
		code = 0x0B
	case znpReason == 0x01:
		code = 0x01
	case znpReason == 0x02:
		code = 0x03 // watchdog
	}
	e.resetPending = false
	e.connected = true
	e.write([]byte{ash.Cancel}, ash.Frame{Type: ash.TypeRSTACK, Code: code})
}

// areq receives what the Z-Stack model would have sent to an MT host.
func (e *ezspNCP) areq(sub znp.Subsystem, id uint8, p []byte) {
	switch {
	case sub == znp.SYS && id == 0x80: // SYS_RESET_IND: the chip booted
		reason := uint8(0)
		if len(p) > 0 {
			reason = p[0]
		}
		e.booted(reason)
	case sub == znp.ZDO && id == 0xCA: // TC device indication (join, rejoin)
		e.joined(p)
	case sub == znp.ZDO && id == 0xC9: // leave indication
		e.left(p)
	case sub == znp.ZDO && id == 0xCB: // permit join ended
		if len(p) > 0 && p[0] == 0 {
			e.stackStatus(ezsp.SLNetworkClosed)
		}
	case sub == znp.ZDO && id == 0xFF: // ZDO_MSG_CB_INCOMING: every ZDP frame
		e.zdoIncoming(p)
	case sub == znp.AF && id == 0x81, sub == znp.AF && id == 0x82:
		e.afIncoming(id, p)
	}
}

// ---- EZSP frames ----

// command handles one EZSP frame from the host.
func (e *ezspNCP) command(b []byte) {
	n := e.n
	format := ezsp.FormatFor(e.version)
	if e.version == 0 {
		format = ezsp.DetectFormat(b)
	}
	f, err := ezsp.ParseFrame(b, format)
	if err != nil {
		n.log.Warn("bad EZSP frame", "event", "ezsp_bad_frame", "err", err)
		return
	}
	e.lastSeq = f.Seq
	if e.faultReset[f.ID] {
		delete(e.faultReset, f.ID)
		n.log.Info("watchdog reset on command by fault hook", "event", "fault_reset_on_command", "id", f.ID)
		n.reset(0x02)
		return
	}
	if e.faultSilent[f.ID] {
		delete(e.faultSilent, f.ID)
		return
	}
	if e.version == 0 && (f.ID != 0x0000 || f.Format != ezsp.FormatLegacy) {
		e.reply(f, 0x0058, []byte{ezsp.EzspErrVersionNotSet})
		return
	}
	v := e.version
	if v == 0 {
		v = e.cfg.Version
	}
	cmd, ok := ezsp.Lookup(f.ID, v)
	h := ezspHandlers[f.ID]
	if !ok || h == nil {
		n.log.Debug("unknown EZSP frame id", "event", "ezsp_unknown", "id", fmt.Sprintf("0x%04X", f.ID))
		e.reply(f, 0x0058, []byte{ezsp.EzspErrInvalidFrameID})
		return
	}
	p, err := ezsp.DecodeParams(cmd, false, f.Params, v)
	if err != nil {
		n.log.Warn("bad EZSP parameters", "event", "ezsp_bad_params", "cmd", cmd.Name, "err", err)
		e.reply(f, 0x0058, []byte{ezsp.EzspErrInvalidValue})
		return
	}
	rsp, after := h(e, p)
	if rsp == nil {
		rsp = ezsp.Params{}
	}
	params, err := ezsp.EncodeParams(nil, cmd, true, rsp, v)
	if err != nil {
		panic(fmt.Sprintf("sim: encode %s response: %v", cmd.Name, err))
	}
	e.reply(f, f.ID, params)
	if f.ID == 0x0000 {
		e.version = e.cfg.Version
	}
	if after != nil {
		after()
	}
}

// reply answers request f in its header format.
func (e *ezspNCP) reply(f ezsp.Frame, id uint16, params []byte) {
	b, err := ezsp.AppendFrame(nil, ezsp.Frame{Seq: f.Seq, Control: ezsp.FCResponse, ID: id, Params: params, Format: f.Format})
	if err != nil {
		panic(fmt.Sprintf("sim: EZSP response: %v", err))
	}
	e.send(b, false)
}

// callback sends a callback (asynchronous, with the last command's
// sequence number, ezsp.md §5.3).
func (e *ezspNCP) callback(name string, p ezsp.Params) {
	if e.version == 0 {
		return // no host has negotiated: nobody listens
	}
	cmd, ok := ezsp.CommandByName(name, e.version)
	if !ok {
		panic("sim: no EZSP callback " + name)
	}
	params, err := ezsp.EncodeParams(nil, cmd, true, p, e.version)
	if err != nil {
		panic(fmt.Sprintf("sim: encode %s: %v", name, err))
	}
	b, _ := ezsp.AppendFrame(nil, ezsp.Frame{Seq: e.lastSeq, Control: ezsp.FCResponse | ezsp.FCCallback, ID: cmd.ID,
		Params: params, Format: ezsp.FormatFor(e.version)})
	e.send(b, true)
}

// status converts an sl_status to the firmware's status field value.
func (e *ezspNCP) status(sl uint32) uint32 { return ezsp.FromSL(sl, e.version) }

// ezspStatus is an EzspStatus result: the byte in v13, 0x0C1E in v14+.
func (e *ezspNCP) ezspStatus(s uint8) uint32 {
	if s == 0 {
		return 0
	}
	if e.version >= 14 {
		return ezsp.SLEZSPError
	}
	return uint32(s)
}

func (e *ezspNCP) stackStatus(sl uint32) {
	e.callback("stackStatusHandler", ezsp.Params{"status": e.status(sl)})
}

// networkUp reports whether the coordinator runs a network.
func (e *ezspNCP) networkUp() bool { return e.n.started9() }

// frameCounter returns the outgoing NWK frame counter.
func (e *ezspNCP) frameCounter() uint32 {
	nk, ok := e.n.nv.get(nvNwkKey)
	if !ok || len(nk) != nwkKeyLen {
		return 0
	}
	return binary.LittleEndian.Uint32(nk[20:])
}

func (e *ezspNCP) setFrameCounter(fc uint32) {
	nk, ok := e.n.nv.get(nvNwkKey)
	if !ok || len(nk) != nwkKeyLen {
		nk = make([]byte, nwkKeyLen)
	}
	binary.LittleEndian.PutUint32(nk[20:], fc)
	e.n.nv.set(nvNwkKey, nk)
	k := extKey{sysZStack, exNwkSecMaterial, 0}
	if sm, ok := e.n.nv.getExt(k); ok && len(sm) == secMaterialEntryLen {
		binary.LittleEndian.PutUint32(sm, fc)
		e.n.nv.setExt(k, sm)
	}
	e.n.dirty = true
}

// ---- fault hooks ----

// NAKFrames makes the NCP answer the next count host DATA frames with NAK
// instead of accepting them (a NAK storm). EZSP front end only.
func (n *Network) NAKFrames(ctx context.Context, count int) error {
	return n.ezspCall(ctx, func(e *ezspNCP) { e.faultNAK += count })
}

// DropFrames makes the next count host DATA frames get lost on the line:
// no ACK, no answer; the host must retransmit. EZSP front end only.
func (n *Network) DropFrames(ctx context.Context, count int) error {
	return n.ezspCall(ctx, func(e *ezspNCP) { e.faultDrop += count })
}

// Busy makes the next count send commands (sendUnicast, sendBroadcast,
// sendMulticast) fail with MAX_MESSAGE_LIMIT_REACHED, as an NCP whose
// APS queue is full. EZSP front end only.
func (n *Network) Busy(ctx context.Context, count int) error {
	return n.ezspCall(ctx, func(e *ezspNCP) { e.faultBusy += count })
}

// ResetOnCommand makes the chip reset (watchdog) when the next command with
// frame id arrives, before it is answered: an ASH reset in the middle of a
// request. EZSP front end only.
func (n *Network) ResetOnCommand(ctx context.Context, id uint16) error {
	return n.ezspCall(ctx, func(e *ezspNCP) { e.faultReset[id] = true })
}

// SilentOnCommand makes the NCP swallow the next command with frame id
// without answering (the host times out). EZSP front end only.
func (n *Network) SilentOnCommand(ctx context.Context, id uint16) error {
	return n.ezspCall(ctx, func(e *ezspNCP) { e.faultSilent[id] = true })
}

// ASHError makes the NCP enter the FAILED state with ERROR(code), e.g.
// 0x51 (too many ACK timeouts). EZSP front end only.
func (n *Network) ASHError(ctx context.Context, code uint8) error {
	return n.ezspCall(ctx, func(e *ezspNCP) { e.fail(code) })
}

func (n *Network) ezspCall(ctx context.Context, fn func(e *ezspNCP)) error {
	e, ok := n.front.(*ezspNCP)
	if !ok {
		return fmt.Errorf("sim: %w: not an EZSP front end", ErrUnsupported)
	}
	return n.call(ctx, func() { fn(e) })
}
