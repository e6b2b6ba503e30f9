package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/localapi"
)

const (
	devicesSynopsis   = "zhub devices [--json]"
	deviceSynopsis    = "zhub device show|rename|remove|interview|configure|context NAME ..."
	showSynopsis      = "zhub device show NAME [--json]"
	renameSynopsis    = "zhub device rename NAME NEW_NAME [--json]"
	removeSynopsis    = "zhub device remove NAME [--force] [--json]"
	interviewSynopsis = "zhub device interview NAME [--json]"
	configureSynopsis = "zhub device configure NAME [--json]"
)

// runDevices prints the device table.
func runDevices(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub devices", devicesSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, devicesSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	devs, err := c.api().Devices(ctx)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(devs))
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "No devices yet. Pair one with: zhub pair")
		return exitOK
	}
	now := time.Now()
	tw := newTable(stdout)
	fmt.Fprintln(tw, "NAME\tMODEL\tVENDOR\tTYPE\tPOWER\tLQI\tLAST SEEN\tAVAILABILITY")
	for _, d := range devs {
		model, vendor := deviceModel(d)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.FriendlyName, model, vendor, d.Type, power(d),
			d.LinkQuality, ago(d.LastSeen, now), availability(d))
	}
	tw.Flush()
	return exitOK
}

// deviceModel is the model and vendor to show: the definition's, else
// what the Basic cluster said.
func deviceModel(d localapi.Device) (string, string) {
	model, vendor := d.ModelID, d.Manufacturer
	if d.Definition != nil {
		if d.Definition.Model != "" {
			model = d.Definition.Model
		}
		if d.Definition.Vendor != "" {
			vendor = d.Definition.Vendor
		}
	}
	if model == "" {
		model = "-"
	}
	if vendor == "" {
		vendor = "-"
	}
	return model, vendor
}

func power(d localapi.Device) string {
	p := strings.ToLower(d.PowerSource)
	switch {
	case p == "":
		p = "-"
	case strings.HasPrefix(p, "mains"):
		p = "mains"
	case strings.Contains(p, "battery"):
		p = "battery"
	}
	if b, ok := d.State["battery"].(float64); ok {
		p += fmt.Sprintf(" %d%%", int(b))
	}
	return p
}

func availability(d localapi.Device) string {
	switch {
	case d.Disabled:
		return "disabled"
	case d.Interview.State == hub.InterviewInProgress || d.Interview.State == hub.InterviewPending:
		return "interviewing"
	case d.Interview.State == hub.InterviewFailed:
		return "interview failed"
	case d.Available:
		return "online"
	}
	return "offline"
}

// runDevice dispatches zhub device show|rename|remove|interview|configure|context.
func runDevice(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: %s\n", deviceSynopsis)
		return exitUsage
	}
	switch args[0] {
	case "show":
		return runDeviceShow(ctx, args[1:], stdin, stdout, stderr)
	case "rename":
		return runDeviceRename(ctx, args[1:], stdin, stdout, stderr)
	case "remove":
		return runDeviceRemove(ctx, args[1:], stdin, stdout, stderr)
	case "interview":
		return runDeviceInterview(ctx, args[1:], stdin, stdout, stderr)
	case "configure":
		return runDeviceConfigure(ctx, args[1:], stdin, stdout, stderr)
	case "context":
		return runDeviceContext(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "usage: %s\n", deviceSynopsis)
		return exitOK
	}
	fmt.Fprintf(stderr, "zhub: unknown device command %q (want show, rename, remove, interview, configure or context)\n", args[0])
	return exitUsage
}

func runDeviceShow(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub device show", showSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, showSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	d, err := c.api().Device(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(d))
	}
	c.renderDevice(d, time.Now())
	return exitOK
}

func (c *cli) renderDevice(d localapi.Device, now time.Time) {
	w := c.stdout
	fmt.Fprintf(w, "%s  (%s, network address %s)\n", d.FriendlyName, d.IEEE, d.NWK)
	tw := newTable(w)
	model, vendor := deviceModel(d)
	desc := ""
	if d.Definition != nil && d.Definition.Description != "" {
		desc = ": " + d.Definition.Description
	}
	fmt.Fprintf(tw, "  model\t%s by %s%s\n", model, vendor, desc)
	if d.ModelID != "" && d.ModelID != model {
		fmt.Fprintf(tw, "  model id\t%s\n", d.ModelID)
	}
	typ := d.Type
	if d.PowerSource != "" {
		typ += ", " + strings.ToLower(d.PowerSource)
	}
	fmt.Fprintf(tw, "  type\t%s\n", typ)
	iv := string(d.Interview.State)
	if d.Interview.Step != "" && d.Interview.State != hub.InterviewSuccessful {
		iv += " at " + d.Interview.Step
	}
	if d.Interview.Error != "" {
		iv += ": " + d.Interview.Error
	}
	fmt.Fprintf(tw, "  interview\t%s\n", iv)
	fmt.Fprintf(tw, "  link\tLQI %d, last seen %s, %s\n", d.LinkQuality, ago(d.LastSeen, now), availability(d))
	if d.SoftwareBuildID != "" || d.DateCode != "" {
		fmt.Fprintf(tw, "  firmware\t%s %s\n", d.SoftwareBuildID, d.DateCode)
	}
	for _, e := range d.Endpoints {
		fmt.Fprintf(tw, "  endpoint %d\tprofile %s, device %s; in: %s; out: %s\n", e.ID, e.ProfileID, e.DeviceID,
			listOrDash(e.InputClusters), listOrDash(e.OutputClusters))
	}
	tw.Flush()
	if len(d.State) > 0 {
		fmt.Fprintln(w, "  state")
		tw = newTable(w)
		for _, k := range sortedKeys(d.State) {
			fmt.Fprintf(tw, "    %s\t%s\n", k, value(d.State[k]))
		}
		tw.Flush()
	}
	if d.Definition != nil && len(d.Definition.Exposes) > 0 {
		fmt.Fprintln(w, "  capabilities (zhub set/get properties)")
		tw = newTable(w)
		for _, x := range flattenExposes(d.Definition.Exposes) {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", x.Property, x.Type, accessText(x.Access), exposeRange(x))
		}
		tw.Flush()
	}
}

func listOrDash(xs []string) string {
	if len(xs) == 0 {
		return "-"
	}
	return strings.Join(xs, ", ")
}

// flattenExposes lists the properties of an exposes tree (a light's
// features, a composite's parts) with their own property names.
func flattenExposes(xs []hub.Expose) []hub.Expose {
	var out []hub.Expose
	for _, x := range xs {
		if len(x.Features) > 0 && x.Property == "" {
			out = append(out, flattenExposes(x.Features)...)
			continue
		}
		if x.Property == "" {
			x.Property = x.Name
		}
		out = append(out, x)
	}
	return out
}

func accessText(a int) string {
	var parts []string
	if a&hub.AccessState != 0 {
		parts = append(parts, "reported")
	}
	if a&hub.AccessSet != 0 {
		parts = append(parts, "settable")
	}
	if a&hub.AccessGet != 0 {
		parts = append(parts, "readable")
	}
	return strings.Join(parts, ", ")
}

func exposeRange(x hub.Expose) string {
	var s string
	switch {
	case len(x.Values) > 0:
		s = strings.Join(x.Values, " | ")
	case x.ValueOn != nil || x.ValueOff != nil:
		s = value(x.ValueOn) + " | " + value(x.ValueOff)
	case x.ValueMin != nil && x.ValueMax != nil:
		s = fmt.Sprintf("%s–%s", value(*x.ValueMin), value(*x.ValueMax))
	}
	if x.Unit != "" {
		s = strings.TrimSpace(s + " " + x.Unit)
	}
	if len(x.Features) > 0 {
		var subs []string
		for _, f := range x.Features {
			subs = append(subs, f.Property)
		}
		s = strings.TrimSpace(s + " {" + strings.Join(subs, ", ") + "}")
	}
	return s
}

func runDeviceRename(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub device rename", renameSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 2, 2, renameSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	d, err := c.api().Rename(ctx, pos[0], pos[1])
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(d))
	}
	fmt.Fprintf(stdout, "renamed %s to %s (%s)\n", pos[0], d.FriendlyName, d.IEEE)
	return exitOK
}

func runDeviceRemove(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub device remove", removeSynopsis, stdin, stdout, stderr)
	force := c.fs.Bool("force", false, "delete the device without asking it to leave (for dead or unreachable devices)")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, removeSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	r, err := c.api().Remove(ctx, pos[0], *force)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(r))
	}
	if r.Forced {
		fmt.Fprintf(stdout, "removed %s (%s) without asking it to leave: factory-reset it before pairing it again\n", r.Removed, r.IEEE)
	} else {
		fmt.Fprintf(stdout, "removed %s (%s): it left the network\n", r.Removed, r.IEEE)
	}
	return exitOK
}

func runDeviceInterview(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub device interview", interviewSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, interviewSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	name := pos[0]
	// Follow the device's events while the interview runs, to show the
	// steps as they complete.
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := c.api().Events(ectx, name)
	if err != nil {
		return c.fail(err)
	}
	steps := make(chan struct{})
	if !c.json {
		fmt.Fprintf(stdout, "interviewing %s (wake a battery device by pressing its button)\n", name)
		go func() {
			defer close(steps)
			r := &stepRenderer{w: stdout}
			for {
				ev, err := events.Next()
				if err != nil {
					return
				}
				if ev.Type == localapi.EventInterview && ev.Interview != nil {
					r.interview(*ev.Interview)
				}
			}
		}()
	} else {
		close(steps)
	}
	d, err := c.api().Interview(ctx, name)
	cancel()
	events.Close()
	<-steps
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(d))
	}
	model, vendor := deviceModel(d)
	fmt.Fprintf(stdout, "interview of %s complete: %s by %s\n", d.FriendlyName, model, vendor)
	return exitOK
}

// stepRenderer prints interview steps as they complete: the hub reports
// the step it starts, so a step is done when the next one starts or the
// interview succeeds.
type stepRenderer struct {
	w       io.Writer
	current string
}

func (r *stepRenderer) interview(iv hub.Interview) {
	switch iv.State {
	case hub.InterviewInProgress:
		if iv.Step != r.current {
			r.done()
			r.current = iv.Step
		}
	case hub.InterviewSuccessful:
		r.done()
	case hub.InterviewFailed:
		step := iv.Step
		if step == "" {
			step = r.current
		}
		fmt.Fprintf(r.w, "  ✗ %s failed: %s\n", stepName(step), iv.Error)
		r.current = ""
	}
}

func (r *stepRenderer) done() {
	if r.current != "" {
		fmt.Fprintf(r.w, "  ✓ %s\n", stepName(r.current))
		r.current = ""
	}
}

// stepName says what an interview step does.
func stepName(step string) string {
	names := map[string]string{
		hub.StepNodeDescriptor:     "device type, power source, manufacturer code",
		hub.StepActiveEndpoints:    "the device's endpoints",
		hub.StepSimpleDescriptor:   "the clusters of each endpoint",
		hub.StepBasicAttributes:    "manufacturer, model, firmware",
		hub.StepDeviceAttributes:   "the device's own settings",
		hub.StepBind:               "bindings, so reports come to the hub",
		hub.StepConfigureReporting: "reporting intervals",
	}
	if n, ok := names[step]; ok {
		return step + " (" + n + ")"
	}
	return step
}

// runDeviceConfigure re-does a device's binds and reporting configuration
// (Zigbee2MQTT's reconfigure) without a new interview.
func runDeviceConfigure(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub device configure", configureSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, configureSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	d, err := c.api().Configure(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(d))
	}
	fmt.Fprintf(stdout, "configured %s (%s): binds and reporting set again\n", d.FriendlyName, d.IEEE)
	return exitOK
}
