package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
	"github.com/zhubhq/zhub/zigbee/zdo"
)

// Interview steps, in order. Device.Interview.Step names the step in
// progress (or the failed one); the completed step is persisted so a
// restarted hub, or a sleepy device that wakes up, continues from there.
const (
	StepNodeDescriptor     = "node_descriptor"
	StepActiveEndpoints    = "active_endpoints"
	StepSimpleDescriptor   = "simple_descriptor"
	StepBasicAttributes    = "basic_attributes"
	StepDeviceAttributes   = "device_attributes"
	StepBind               = "bind"
	StepConfigureReporting = "configure_reporting"
)

var interviewSteps = []string{StepNodeDescriptor, StepActiveEndpoints, StepSimpleDescriptor,
	StepBasicAttributes, StepDeviceAttributes, StepBind, StepConfigureReporting}

// startInterview runs the device's interview in the background (bounded by
// MaxInterviews). It must be called on the Run goroutine.
func (h *Hub) startInterview(ieee zigbee.IEEE) {
	h.mu.Lock()
	d := h.devs[ieee]
	if d == nil || d.interviewing || h.runCtx == nil {
		h.mu.Unlock()
		return
	}
	d.interviewing = true
	d.interviewDone = make(chan struct{})
	h.mu.Unlock()
	ctx := h.runCtx
	h.wg.Go(func() {
		select {
		case h.sem <- struct{}{}:
		case <-ctx.Done():
			h.finishInterview(ieee, nil, ctx)
			return
		}
		defer func() { <-h.sem }()
		h.interview(ctx, ieee)
	})
}

// resumeInterviews restarts interviews that were pending or in progress
// when the hub last stopped (failed ones wait for the device to speak).
func (h *Hub) resumeInterviews() {
	h.mu.Lock()
	var todo []zigbee.IEEE
	for _, d := range h.devs {
		if d.interview.State == InterviewPending && !d.disabled {
			todo = append(todo, d.ieee)
		}
	}
	h.mu.Unlock()
	for _, ieee := range todo {
		h.startInterview(ieee)
	}
}

// Interview (re-)interviews a device from the start and waits for the
// outcome: nil on success, an error wrapping ErrInterview (and the cause)
// on failure. If an interview is already running it waits for that one.
func (h *Hub) Interview(ctx context.Context, name string) error {
	var done chan struct{}
	var ieee zigbee.IEEE
	err := h.withDevice(name, func(d *device) error {
		ieee = d.ieee
		if d.interviewing {
			done = d.interviewDone
			return nil
		}
		d.interviewing = true
		d.interviewDone = make(chan struct{})
		d.lastStep = ""
		d.interview = Interview{State: InterviewPending, Attempts: d.interview.Attempts, Updated: h.now()}
		return nil
	})
	if err != nil {
		return err
	}
	if done == nil {
		if err := h.checkRunning(name, "interview"); err != nil {
			h.finishInterview(ieee, err, ctx)
			return err
		}
		h.interview(ctx, ieee)
	} else {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.devs[ieee]
	switch {
	case d == nil:
		return &UnknownDeviceError{Name: name}
	case d.interview.State == InterviewSuccessful:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("hub: %s: %w: %s", d.name, ErrInterview, d.interview.Error)
}

// interview runs the remaining steps of a device's interview. The caller
// has set d.interviewing.
func (h *Hub) interview(ctx context.Context, ieee zigbee.IEEE) {
	start := h.now()
	h.mu.Lock()
	d := h.devs[ieee]
	if d == nil {
		h.mu.Unlock()
		return
	}
	next := 0
	if i := slices.Index(interviewSteps, d.lastStep); i >= 0 {
		next = i + 1
	}
	d.interview.Attempts++
	name := d.name
	h.mu.Unlock()
	h.log.Info("interview started", "event", "interview_started", "device", name, "ieee", ieee.String(), "from_step", interviewSteps[min(next, len(interviewSteps)-1)])

	var err error
	for _, step := range interviewSteps[next:] {
		h.progress(ieee, step)
		if err = h.retry(ctx, ieee, step); err != nil {
			break
		}
		h.mu.Lock()
		if d := h.devs[ieee]; d != nil {
			d.lastStep = step
			h.p.markDevice(ieee)
		}
		h.mu.Unlock()
	}
	if err == nil {
		h.readInitialState(ctx, ieee)
	}
	h.finishInterview(ieee, err, ctx)
	if err == nil {
		h.log.Info("interview successful", "event", "interview_successful", "device", name, "ieee", ieee.String(), "elapsed_ms", msSince(start, h.now()))
	} else if ctx.Err() == nil {
		h.log.Warn("interview failed", "event", "interview_failed", "device", name, "ieee", ieee.String(), "err", err, "elapsed_ms", msSince(start, h.now()))
	}
}

// progress publishes the step in progress.
func (h *Hub) progress(ieee zigbee.IEEE, step string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.devs[ieee]
	if d == nil {
		return
	}
	d.interview.State, d.interview.Step, d.interview.Error, d.interview.Updated = InterviewInProgress, step, "", h.now()
	h.bus.publish(InterviewProgress{Device: d.name, IEEE: d.ieee, Interview: d.interview})
}

// finishInterview records the outcome. A cancelled interview stays
// pending so the next start continues it.
func (h *Hub) finishInterview(ieee zigbee.IEEE, err error, ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.devs[ieee]
	if d == nil {
		return
	}
	d.interviewing = false
	if d.interviewDone != nil {
		close(d.interviewDone)
		d.interviewDone = nil
	}
	d.interviewEnd = h.now()
	d.interview.Updated = d.interviewEnd
	switch {
	case err == nil && ctx.Err() == nil:
		d.interview.State, d.interview.Error = InterviewSuccessful, ""
		d.rebuild()
		var def *Definition
		if d.m != nil {
			c := cloneDefinition(d.m.def)
			def = &c
		}
		h.bus.publish(InterviewProgress{Device: d.name, IEEE: d.ieee, Interview: d.interview, Definition: def})
	case ctx.Err() != nil:
		d.interview.State = InterviewPending
	default:
		d.interview.State, d.interview.Error = InterviewFailed, err.Error()
		d.rebuild() // what is known is still usable
		h.bus.publish(InterviewProgress{Device: d.name, IEEE: d.ieee, Interview: d.interview})
	}
	h.p.markDevice(ieee)
}

// retry runs one step up to InterviewAttempts times with doubling waits.
func (h *Hub) retry(ctx context.Context, ieee zigbee.IEEE, step string) error {
	wait := h.cfg.InterviewBackoff
	var err error
	for attempt := 1; attempt <= h.cfg.InterviewAttempts; attempt++ {
		if err = h.runStep(ctx, ieee, step); err == nil || ctx.Err() != nil {
			return err
		}
		var ce *CommandError
		if errors.As(err, &ce) && ce.Kind == ErrRejected && step != StepBasicAttributes {
			break // the device said no; asking again will not help
		}
		h.log.Debug("interview step failed", "event", "interview_retry", "ieee", ieee.String(), "step", step, "attempt", attempt, "err", err)
		if attempt == h.cfg.InterviewAttempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait *= 2
	}
	return fmt.Errorf("%s: %w", step, err)
}

func (h *Hub) target(ieee zigbee.IEEE) (target, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.devs[ieee]
	if d == nil {
		return target{}, false
	}
	return h.targetOf(d), true
}

// runStep performs one interview step.
func (h *Hub) runStep(ctx context.Context, ieee zigbee.IEEE, step string) error {
	t, ok := h.target(ieee)
	if !ok {
		return fmt.Errorf("hub: device %v: %w", ieee, ErrUnknownDevice)
	}
	t.offline = false // an interview does not care about availability
	switch step {
	case StepNodeDescriptor:
		rsp, err := h.zdoRequest(ctx, t, step, zdo.NodeDescReq{NWKOfInterest: t.nwk})
		if err != nil {
			return err
		}
		nd := rsp.(zdo.NodeDescRsp).Descriptor
		h.update(ieee, func(d *device) {
			switch nd.LogicalType {
			case zdo.Coordinator:
				d.typ = "Coordinator"
			case zdo.Router:
				d.typ = "Router"
			case zdo.EndDevice:
				d.typ = "EndDevice"
			}
			d.mfrCode = nd.ManufacturerCode
			d.macCap = uint8(nd.MACCapability)
		})
	case StepActiveEndpoints:
		rsp, err := h.zdoRequest(ctx, t, step, zdo.ActiveEPReq{NWKOfInterest: t.nwk})
		if err != nil {
			return err
		}
		eps := rsp.(zdo.ActiveEPRsp).Endpoints
		h.update(ieee, func(d *device) {
			d.endpoints = d.endpoints[:0]
			for _, e := range eps {
				d.endpoints = append(d.endpoints, Endpoint{ID: e})
			}
		})
	case StepSimpleDescriptor:
		h.mu.Lock()
		var todo []zigbee.Endpoint
		if d := h.devs[ieee]; d != nil {
			for _, e := range d.endpoints {
				if e.Profile == 0 && len(e.InClusters)+len(e.OutClusters) == 0 {
					todo = append(todo, e.ID)
				}
			}
		}
		h.mu.Unlock()
		for _, ep := range todo {
			rsp, err := h.zdoRequest(ctx, t, fmt.Sprintf("%s %d", step, ep), zdo.SimpleDescReq{NWKOfInterest: t.nwk, Endpoint: ep})
			if err != nil {
				return err
			}
			sd := rsp.(zdo.SimpleDescRsp).Descriptor
			h.update(ieee, func(d *device) {
				for i := range d.endpoints {
					if d.endpoints[i].ID == ep {
						d.endpoints[i] = Endpoint{ID: ep, Profile: sd.Profile, DeviceID: sd.DeviceID,
							InClusters: sd.InClusters, OutClusters: sd.OutClusters}
					}
				}
			})
		}
	case StepBasicAttributes:
		return h.readBasic(ctx, t)
	case StepDeviceAttributes:
		h.readDeviceAttributes(ctx, t)
	case StepBind:
		return h.bind(ctx, t)
	case StepConfigureReporting:
		return h.configureReporting(ctx, t)
	}
	return nil
}

// update changes a device under the lock and marks it for saving.
func (h *Hub) update(ieee zigbee.IEEE, fn func(d *device)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := h.devs[ieee]; d != nil {
		fn(d)
		h.p.markDevice(ieee)
	}
}

// endpointWith returns the first application endpoint with server cluster c.
func (h *Hub) endpointWith(ieee zigbee.IEEE, c zigbee.ClusterID) zigbee.Endpoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.devs[ieee]
	if d == nil {
		return 0
	}
	for _, e := range appEndpoints(d.endpoints) {
		if slices.Contains(e.InClusters, c) {
			return e.ID
		}
	}
	if eps := appEndpoints(d.endpoints); len(eps) > 0 {
		return eps[0].ID
	}
	return 1
}

// readBasic reads the Basic cluster attributes the definition needs. Some
// devices refuse a read of several attributes, so on failure it reads them
// one at a time; only the model id is mandatory.
func (h *Hub) readBasic(ctx context.Context, t target) error {
	ep := h.endpointWith(t.ieee, zcl.ClusterBasic)
	attrs := []zcl.AttributeID{zcl.AttrBasicManufacturerName, zcl.AttrBasicModelID, zcl.AttrBasicPowerSource,
		zcl.AttrBasicSWBuildID, zcl.AttrBasicDateCode}
	recs, err := h.readAttrs(ctx, t, StepBasicAttributes, ep, zcl.ClusterBasic, attrs...)
	if err != nil {
		var ce *CommandError
		if !errors.As(err, &ce) || ce.Kind != ErrRejected {
			return err
		}
		recs = nil
		for _, a := range attrs {
			r, err := h.readAttrs(ctx, t, StepBasicAttributes, ep, zcl.ClusterBasic, a)
			if err != nil && a == zcl.AttrBasicModelID {
				return err
			}
			recs = append(recs, r...)
		}
	}
	h.update(t.ieee, func(d *device) {
		for _, r := range recs {
			if r.Status != zcl.StatusSuccess {
				continue
			}
			s := strings.TrimRight(r.Value.String(), "\x00 ")
			switch r.ID {
			case zcl.AttrBasicManufacturerName:
				d.manufacturer = s
			case zcl.AttrBasicModelID:
				d.modelID = s
			case zcl.AttrBasicSWBuildID:
				d.swBuild = s
			case zcl.AttrBasicDateCode:
				d.dateCode = s
			case zcl.AttrBasicPowerSource:
				d.powerSource = uint8(r.Value.Uint())
			}
		}
	})
	return nil
}

// readDeviceAttributes reads the attributes that shape the capabilities
// (colour capabilities and range, IAS zone type, metering and electrical
// multipliers and divisors). Failures leave defaults; they are not fatal.
func (h *Hub) readDeviceAttributes(ctx context.Context, t target) {
	h.mu.Lock()
	d := h.devs[t.ieee]
	if d == nil {
		h.mu.Unlock()
		return
	}
	eps := appEndpoints(d.endpoints)
	h.mu.Unlock()
	reads := []struct {
		c     zigbee.ClusterID
		attrs []zcl.AttributeID
	}{
		{zcl.ClusterColorControl, []zcl.AttributeID{zcl.AttrColorCapabilities, zcl.AttrColorTempPhysicalMin, zcl.AttrColorTempPhysicalMax}},
		{zcl.ClusterIASZone, []zcl.AttributeID{zcl.AttrIASZoneType}},
		{zcl.ClusterMetering, []zcl.AttributeID{zcl.AttrMeteringMultiplier, zcl.AttrMeteringDivisor}},
		// Read in two chunks, as herdsman-converters does: some devices
		// fail to answer a read of all six.
		{zcl.ClusterElectricalMeasurement, []zcl.AttributeID{zcl.AttrElectricalACVoltageMultiplier, zcl.AttrElectricalACVoltageDivisor, zcl.AttrElectricalACCurrentMultiplier}},
		{zcl.ClusterElectricalMeasurement, []zcl.AttributeID{zcl.AttrElectricalACCurrentDivisor, zcl.AttrElectricalACPowerMultiplier, zcl.AttrElectricalACPowerDivisor}},
	}
	for _, rd := range reads {
		for _, e := range eps {
			if !slices.Contains(e.InClusters, rd.c) {
				continue
			}
			if _, err := h.readAttrs(ctx, t, StepDeviceAttributes, e.ID, rd.c, rd.attrs...); err != nil {
				h.log.Debug("capability attributes not read", "event", "interview_attr_unread", "device", t.name, "cluster", rd.c.String(), "err", err)
			}
			break
		}
	}
	// The read responses went through the radio path, which stored the
	// values in params; derive the model now that they are known.
	h.update(t.ieee, func(d *device) { d.rebuild() })
}

// bind binds the clusters the model reports (and a remote's client
// clusters) to the coordinator, and enrols IAS zones (writes the CIE
// address; the device then asks to enrol and the radio path answers).
func (h *Hub) bind(ctx context.Context, t target) error {
	info, up := h.c.Info()
	if !up {
		return &CommandError{Device: t.name, Op: StepBind, Kind: ErrNotRunning, Err: zigbee.ErrNetworkDown}
	}
	h.mu.Lock()
	d := h.devs[t.ieee]
	var binds []epCluster
	var zones []zigbee.Endpoint
	if d != nil && d.m != nil {
		binds = slices.Clone(d.m.binds)
		zones = slices.Clone(d.m.iasZones)
	}
	h.mu.Unlock()
	for _, b := range binds {
		req := zdo.BindReq{SrcIEEE: t.ieee, SrcEndpoint: b.ep, ClusterID: b.cluster,
			Dst: zdo.UnicastTarget(info.IEEE, h.cfg.Endpoint)}
		if _, err := h.zdoRequest(ctx, t, fmt.Sprintf("bind %s", zcl.ClusterName(b.cluster)), req); err != nil {
			var ce *CommandError
			if errors.As(err, &ce) && ce.Kind == ErrRejected {
				// Not fatal: e.g. a full binding table; reports may still
				// come through the device's default bindings.
				h.log.Warn("bind refused", "event", "bind_refused", "device", t.name, "cluster", b.cluster.String(), "err", err)
				continue
			}
			return err
		}
	}
	for _, ep := range zones {
		w := zcl.NewGlobal(0, zcl.CmdWriteAttributes, zcl.WriteAttributes{Records: []zcl.AttributeValue{{ID: zcl.AttrIASCIEAddress, Value: zcl.EUI64(info.IEEE)}}})
		rsp, err := h.zclRequest(ctx, t, "ias enroll", ep, zcl.ClusterIASZone, w, true)
		if err == nil {
			err = checkStatus(t, "ias enroll", rsp)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// configureReporting applies the model's reporting configuration, one
// cluster per request. A device that refuses an attribute (unsupported,
// unreportable) keeps its defaults; only no answer at all fails the step.
func (h *Hub) configureReporting(ctx context.Context, t target) error {
	h.mu.Lock()
	d := h.devs[t.ieee]
	var cfgs []reportCfg
	if d != nil && d.m != nil {
		cfgs = slices.Clone(d.m.reporting)
	}
	h.mu.Unlock()
	groups := map[epCluster][]zcl.ReportingConfig{}
	var order []epCluster
	for _, r := range cfgs {
		k := epCluster{r.ep, r.cluster}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], zcl.NewReporting(r.attr, attrType(r.cluster, r.attr), r.min, r.max, r.change))
	}
	for _, k := range order {
		op := "configure reporting " + zcl.ClusterName(k.cluster)
		rsp, err := h.zclRequest(ctx, t, op, k.ep, k.cluster, zcl.NewGlobal(0, zcl.CmdConfigureReporting, zcl.ConfigureReporting{Records: groups[k]}), true)
		if err != nil {
			return err
		}
		if rsp.IsGlobal(zcl.CmdConfigureReportingResponse) {
			if cr, err := zcl.ParseConfigureReportingResponse(rsp.Payload); err == nil {
				if err := cr.Err(); err != nil {
					h.log.Info("reporting partly refused", "event", "reporting_refused", "device", t.name, "cluster", k.cluster.String(), "err", err)
				}
			}
			continue
		}
		if err := checkStatus(t, op, rsp); err != nil {
			h.log.Info("reporting refused", "event", "reporting_refused", "device", t.name, "cluster", k.cluster.String(), "err", err)
		}
	}
	return nil
}

// attrType returns an attribute's data type from the cluster library.
func attrType(c zigbee.ClusterID, a zcl.AttributeID) zcl.DataType {
	if cl, ok := zcl.ClusterByID(c); ok {
		if at, ok := cl.Attribute(a); ok {
			return at.Type
		}
	}
	return zcl.TypeUint16
}

// readInitialState reads the readable properties once after a successful
// interview so the state is known before the first report. Best effort:
// sleepy devices may be asleep already.
func (h *Hub) readInitialState(ctx context.Context, ieee zigbee.IEEE) {
	h.mu.Lock()
	d := h.devs[ieee]
	if d == nil || d.m == nil {
		h.mu.Unlock()
		return
	}
	t := h.targetOf(d)
	t.offline = false
	groups := readGroups(d.m, nil)
	for _, ep := range d.m.iasZones {
		groups = append(groups, readGroup{ep: ep, cluster: zcl.ClusterIASZone, attrs: []zcl.AttributeID{zcl.AttrIASZoneStatus}})
	}
	h.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, 2*h.cfg.CommandTimeout)
	defer cancel()
	for _, g := range groups {
		if _, err := h.readAttrs(rctx, t, "read state", g.ep, g.cluster, g.attrs...); err != nil {
			h.log.Debug("initial state not read", "event", "initial_read_failed", "device", t.name, "cluster", g.cluster.String(), "err", err)
			return
		}
	}
}

// readGroup is one Read Attributes request.
type readGroup struct {
	ep      zigbee.Endpoint
	cluster zigbee.ClusterID
	attrs   []zcl.AttributeID
}

// readGroups groups the attributes behind props (all readable ones when
// props is nil) by endpoint and cluster, in a stable order.
func readGroups(m *model, props []*prop) []readGroup {
	if props == nil {
		for _, p := range m.props {
			if p.expose.Access&AccessGet != 0 && len(p.attrs) > 0 {
				props = append(props, p)
			}
		}
		slices.SortFunc(props, func(a, b *prop) int { return strings.Compare(a.name, b.name) })
	}
	var out []readGroup
	for _, p := range props {
		i := slices.IndexFunc(out, func(g readGroup) bool { return g.ep == p.ep && g.cluster == p.cluster })
		if i < 0 {
			out = append(out, readGroup{ep: p.ep, cluster: p.cluster})
			i = len(out) - 1
		}
		for _, a := range p.attrs {
			if !slices.Contains(out[i].attrs, a) {
				out[i].attrs = append(out[i].attrs, a)
			}
		}
	}
	return out
}
