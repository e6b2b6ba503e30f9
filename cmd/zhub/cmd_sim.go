package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"golang.org/x/sync/errgroup"
)

const simUsage = `Usage: zhub sim [flags]

Runs an emulated TI Z-Stack 3.x.0 coordinator (CC2652-class ZNP, MT over
UNPI, byte-exact) with a virtual Zigbee network behind it. Any ZNP host
(zhub, Zigbee2MQTT/zigbee-herdsman, ZHA/zigpy-znp) can use it like a real
dongle through a pseudo-terminal or a TCP port. With --ezsp-pty (or
--ezsp) the same network sits behind an emulated Silicon Labs EmberZNet NCP
instead (ASH + EZSP v13 or v14+), for EZSP hosts (zhub adapter = "ezsp",
zigbee-herdsman's ember adapter, bellows).

Flags:
`

const simControl = `
Control lines on stdin (one per line; each is answered on stdout):
  join [KIND]          create a device of KIND (default light), press its
                       button; answered "joined IEEE NWK" once it announced
                       itself (it waits for permit join to open)
  leave DEVICE         the device leaves the network        -> "left IEEE"
  report DEVICE COUNT  COUNT On/Off attribute reports, alternating values,
                       disable-default-response set, back to back
                                                            -> "reported COUNT"
  press DEVICE         press an existing device's button     -> "pressed IEEE"
  devices              list devices: "device IEEE NWK KIND joined|unjoined", then "ok"
  unplug | replug      pull / re-insert the dongle           -> "unplugged" / "replugged"
  reset                watchdog reset of the dongle          -> "reset"
DEVICE is an IEEE address (0x + 16 hex digits) or a NWK address (0x1234).
KIND is one of: light dimmable color_light plug th_sensor contact remote.
Errors are answered "error MESSAGE". "ready" is printed once every front
end (--znp-pty/--ezsp-pty, --listen) can be opened. Logs go to stderr.
`

// runSim implements `zhub sim`.
func runSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zhub sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ptyPath := fs.String("znp-pty", "", "create a pty and symlink it at `PATH` (open it like /dev/ttyUSB0)")
	ezspPty := fs.String("ezsp-pty", "", "emulate a Silicon Labs EmberZNet NCP (ASH/EZSP) instead, on a pty linked at `PATH`")
	ezspMode := fs.Bool("ezsp", false, "emulate an EmberZNet NCP on --listen (implied by --ezsp-pty)")
	ezspVersion := fs.Int("ezsp-version", 13, "EZSP protocol version of the emulated NCP: 13 (EmberZNet 7.4) or 14+ (8.x)")
	listen := fs.String("listen", "", "serve the dongle on `tcp://127.0.0.1:PORT` (herdsman: serial.port tcp://...)")
	statePath := fs.String("state", "", "keep NV and devices in this JSON `FILE` (absent = factory-new dongle; empty = memory only)")
	tracePath := fs.String("trace", "", "append every frame to `FILE`: \"<unix-micros> >|<|# HEX\"")
	confirmDelay := fs.Duration("confirm-delay", 10*time.Millisecond, "delay from AF data request to AF_DATA_CONFIRM")
	deviceDelay := fs.Duration("device-delay", 20*time.Millisecond, "delay before a virtual device answers")
	resetDelay := fs.Duration("reset-delay", time.Second, "delay from a reset to SYS_RESET_IND")
	sensorInterval := fs.Duration("sensor-interval", time.Minute, "measurement period of th_sensor devices")
	baud := fs.Int("baud", 0, "pace the dongle's output at `N` baud (0 = unpaced)")
	devices := fs.String("devices", "none", "initial devices: none (add them with join) or default (one of each kind + a spare light)")
	autoJoin := fs.Bool("auto-join", false, "devices not in the network join by themselves whenever permit join is open")
	verbose := fs.Bool("v", false, "debug logging")
	fs.Usage = func() {
		fmt.Fprint(stderr, simUsage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, simControl)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zhub sim: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	tcpAddr := ""
	if *listen != "" {
		a, ok := strings.CutPrefix(*listen, "tcp://")
		if !ok {
			fmt.Fprintf(stderr, "zhub sim: --listen %q: want tcp://HOST:PORT\n", *listen)
			return exitUsage
		}
		tcpAddr = a
	}
	if *ezspPty != "" {
		if *ptyPath != "" {
			fmt.Fprintln(stderr, "zhub sim: --znp-pty and --ezsp-pty exclude each other (one dongle, one firmware)")
			return exitUsage
		}
		*ptyPath, *ezspMode = *ezspPty, true
	}
	if *ptyPath == "" && tcpAddr == "" {
		fmt.Fprintln(stderr, "zhub sim: give --znp-pty PATH (or --ezsp-pty PATH) and/or --listen tcp://HOST:PORT")
		return exitUsage
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, level, false).With("module", "sim")

	cfg := sim.Config{
		StatePath:      *statePath,
		ConfirmDelay:   *confirmDelay,
		DeviceDelay:    *deviceDelay,
		ResetDelay:     *resetDelay,
		SensorInterval: *sensorInterval,
		Baud:           *baud,
		AutoJoin:       *autoJoin,
		Logger:         log,
	}
	switch *devices {
	case "none":
	case "default":
		cfg.Devices = sim.DefaultDevices()
	default:
		fmt.Fprintf(stderr, "zhub sim: --devices %q: want none or default\n", *devices)
		return exitUsage
	}
	if *tracePath != "" {
		f, err := os.OpenFile(*tracePath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "zhub sim: trace: %v\n", err)
			return exitFailed
		}
		defer f.Close()
		cfg.Trace = f
	}

	out := &lineWriter{w: stdout}
	var readyMu sync.Mutex
	pending := map[string]bool{}
	if *ptyPath != "" {
		pending["pty"] = true
	}
	if tcpAddr != "" {
		pending["tcp"] = true
	}
	cfg.OnReady = func(frontEnd, _ string) {
		readyMu.Lock()
		defer readyMu.Unlock()
		if pending[frontEnd] {
			delete(pending, frontEnd)
			if len(pending) == 0 {
				out.printf("ready")
			}
		}
	}
	var n *sim.Network
	var err error
	if *ezspMode {
		n, err = sim.NewEZSP(cfg, sim.EZSPConfig{Version: uint8(min(max(*ezspVersion, 0), 255))})
	} else {
		n, err = sim.New(cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zhub sim: %v\n", err)
		return exitFailed
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.Run(gctx) })
	if *ptyPath != "" {
		g.Go(func() error { return n.ServePTY(gctx, *ptyPath) })
	}
	if tcpAddr != "" {
		g.Go(func() error { return n.ServeTCP(gctx, tcpAddr) })
	}
	// The control reader blocks on stdin, which cannot be interrupted;
	// it is not part of the group and ends with the process.
	go simControlLoop(gctx, n, stdin, out)
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "zhub sim: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// lineWriter serialises acknowledgement lines from concurrent commands.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", a...)
}

func simControlLoop(ctx context.Context, n *sim.Network, stdin io.Reader, out *lineWriter) {
	sc := bufio.NewScanner(stdin)
	var wg sync.WaitGroup
	defer wg.Wait()
	for sc.Scan() {
		if ctx.Err() != nil {
			return
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if f[0] == "join" {
			// Joining waits for permit join; keep reading commands meanwhile.
			wg.Go(func() { simJoin(ctx, n, f[1:], out) })
			continue
		}
		if err := simCommand(ctx, n, f, out); err != nil {
			out.printf("error %v", err)
		}
	}
}

func simJoin(ctx context.Context, n *sim.Network, args []string, out *lineWriter) {
	kind := sim.KindLight
	if len(args) > 0 {
		kind = sim.Kind(args[0])
	}
	ieee, err := n.AddDevice(ctx, sim.DeviceSpec{Kind: kind})
	if err != nil {
		out.printf("error %v", err)
		return
	}
	wait := make(chan struct{})
	var nwk zigbee.NWK
	var werr error
	go func() {
		defer close(wait)
		nwk, werr = n.WaitJoined(ctx, ieee)
	}()
	if err := n.Press(ctx, ieee); err != nil {
		out.printf("error %v", err)
		<-wait
		return
	}
	<-wait
	if werr != nil {
		if ctx.Err() == nil {
			out.printf("error %v", werr)
		}
		return
	}
	out.printf("joined %v %v", ieee, nwk)
}

func simCommand(ctx context.Context, n *sim.Network, f []string, out *lineWriter) error {
	need := func(k int) error {
		if len(f) != k+1 {
			return fmt.Errorf("%s: want %d argument(s)", f[0], k)
		}
		return nil
	}
	switch f[0] {
	case "leave", "press":
		if err := need(1); err != nil {
			return err
		}
		ieee, err := n.ResolveDevice(ctx, f[1])
		if err != nil {
			return err
		}
		if f[0] == "leave" {
			if err := n.Leave(ctx, ieee); err != nil {
				return err
			}
			out.printf("left %v", ieee)
			return nil
		}
		if err := n.Press(ctx, ieee); err != nil {
			return err
		}
		out.printf("pressed %v", ieee)
	case "report":
		if err := need(2); err != nil {
			return err
		}
		ieee, err := n.ResolveDevice(ctx, f[1])
		if err != nil {
			return err
		}
		count, err := strconv.Atoi(f[2])
		if err != nil || count < 0 {
			return fmt.Errorf("report: bad COUNT %q", f[2])
		}
		if err := n.Report(ctx, ieee, count); err != nil {
			return err
		}
		out.printf("reported %d", count)
	case "devices":
		ds, err := n.Devices(ctx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			state := "unjoined"
			if d.Joined {
				state = "joined"
			}
			out.printf("device %v %v %s %s", d.IEEE, d.NWK, d.Kind, state)
		}
		out.printf("ok")
	case "unplug":
		if err := n.Unplug(ctx); err != nil {
			return err
		}
		out.printf("unplugged")
	case "replug":
		if err := n.Replug(ctx); err != nil {
			return err
		}
		out.printf("replugged")
	case "reset":
		if err := n.Reset(ctx); err != nil {
			return err
		}
		out.printf("reset")
	default:
		return fmt.Errorf("unknown command %q", f[0])
	}
	return nil
}
