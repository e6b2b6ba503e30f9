package mqttbridge

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
)

// requestFunc handles one bridge/request and returns the response data.
type requestFunc func(ctx context.Context, r Request) (map[string]any, error)

func (b *Bridge) requests() map[string]requestFunc {
	return map[string]requestFunc{
		"permit_join":      b.reqPermitJoin,
		"health_check":     b.reqHealthCheck,
		"backup":           b.reqBackup,
		"device/remove":    b.reqDeviceRemove,
		"device/rename":    b.reqDeviceRename,
		"device/interview": b.reqDeviceInterview,
		"networkmap":       b.reqNetworkMap,
		"device/configure": b.reqDeviceConfigure,

		"group/add":                b.reqGroupAdd,
		"group/remove":             b.reqGroupRemove,
		"group/rename":             b.reqGroupRename,
		"group/members/add":        b.reqGroupMembersAdd,
		"group/members/remove":     b.reqGroupMembersRemove,
		"group/members/remove_all": b.reqGroupMembersRemoveAll,
	}
}

// request runs a bridge/request concurrently (bounded) and publishes the
// response; requests are correlated by transaction, not order.
func (b *Bridge) request(name string, payload []byte) {
	select {
	case b.reqSem <- struct{}{}:
	case <-b.doneCh():
		return
	}
	b.workers.Go(func() {
		defer func() { <-b.reqSem }()
		b.serveRequest(name, payload)
	})
}

func (b *Bridge) serveRequest(name string, payload []byte) {
	start := time.Now()
	r := ParseRequest(payload)
	fn := b.requests()[strings.ToLower(name)]
	var data map[string]any
	var err error
	if fn == nil {
		err = fmt.Errorf("%w '%s'", ErrUnknownRequest, name)
	} else {
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.CommandTimeout)
		data, err = fn(ctx, r)
		cancel()
	}
	resp := map[string]any{"status": "ok", "data": data}
	if err != nil {
		if errors.Is(err, context.Canceled) && b.ctx.Err() != nil {
			return
		}
		resp = map[string]any{"status": "error", "data": map[string]any{}, "error": userError(err)}
		b.log.Error("request failed", "event", "request_failed", "request", name, "err", err, "elapsed_ms", ms(time.Since(start)))
	} else {
		if data == nil {
			resp["data"] = map[string]any{}
		}
		b.log.Info("request done", "event", "request_done", "request", name, "elapsed_ms", ms(time.Since(start)))
	}
	if r.Transaction != nil {
		resp["transaction"] = r.Transaction
	}
	b.publish(b.Topic("bridge/response/"+name), 0, false, marshal(resp))
}

// invalid is Zigbee2MQTT's "Invalid payload" with what was wrong.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPayload}, args...)...)
}

// intValue accepts a JSON number or a numeric string.
func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	case json.Number:
		i, err := x.Int64()
		return i, err == nil
	}
	return 0, false
}

func (b *Bridge) reqPermitJoin(ctx context.Context, r Request) (map[string]any, error) {
	var raw any
	via := ""
	if r.Object != nil {
		t, ok := r.Object["time"]
		if !ok {
			return nil, invalid(`want {"time": 0..254}`)
		}
		raw = t
		if d, ok := r.Object["device"]; ok && d != nil {
			s, ok := d.(string)
			if !ok || s == "" {
				return nil, invalid(`"device" must be a device name`)
			}
			dev, err := b.h.Device(s)
			if err != nil {
				return nil, err
			}
			via = dev.FriendlyName
		}
	} else {
		raw = r.Bare
	}
	secs, ok := intValue(raw)
	if !ok || secs < 0 || secs > int64(hub.MaxPermitJoin/time.Second) {
		return nil, invalid("time must be a whole number of seconds from 0 to 254 (0 closes), got %v", raw)
	}
	if err := b.h.PermitJoin(ctx, time.Duration(secs)*time.Second, via); err != nil {
		return nil, err
	}
	data := map[string]any{"time": secs}
	if via != "" {
		data["device"] = via
	}
	return data, nil
}

func (b *Bridge) reqHealthCheck(context.Context, Request) (map[string]any, error) {
	return map[string]any{"healthy": b.h.Status().NetworkUp && b.connected.Load()}, nil
}

// reqBackup returns a zip of the coordinator backup (Open Coordinator
// Backup JSON, as coordinator_backup.json), base64 encoded.
func (b *Bridge) reqBackup(ctx context.Context, _ Request) (map[string]any, error) {
	bk, err := b.h.Backup(ctx)
	if err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(bk, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mqttbridge: backup: %w", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "coordinator_backup.json", Method: zip.Deflate, Modified: time.Now()})
	if err == nil {
		_, err = w.Write(js)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("mqttbridge: backup: zip: %w", err)
	}
	return map[string]any{"zip": base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

func (b *Bridge) reqDeviceRemove(ctx context.Context, r Request) (map[string]any, error) {
	id, ok := r.String("id", true)
	if !ok || id == "" {
		return nil, invalid(`want {"id": "<device>"} or the device name`)
	}
	block, force := r.Bool("block"), r.Bool("force")
	if block {
		return nil, fmt.Errorf("%w: block (a device blocklist)", ErrNotSupported)
	}
	dev, err := b.h.Device(id)
	if err != nil {
		return nil, err
	}
	if err := b.h.Remove(ctx, dev.FriendlyName, force); err != nil {
		return nil, fmt.Errorf("failed to remove device '%s' (block: %t, force: %t): %w", dev.FriendlyName, block, force, err)
	}
	return map[string]any{"id": id, "block": block, "force": force}, nil
}

func (b *Bridge) reqDeviceRename(ctx context.Context, r Request) (map[string]any, error) {
	if r.Object == nil {
		return nil, invalid(`want {"from": "<device>", "to": "<new name>"}`)
	}
	to, ok := r.Object["to"].(string)
	if !ok {
		return nil, invalid(`"to" must be the new name`)
	}
	to = strings.TrimSpace(to)
	from, _ := r.Object["from"].(string)
	if r.Bool("last") {
		last := make(chan string, 1)
		b.ctrlDo(func() { last <- b.lastJoined })
		select {
		case from = <-last:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if from == "" {
			return nil, errors.New("no device has joined since start")
		}
	} else if from == "" {
		return nil, invalid(`"from" must name the device`)
	}
	if err := ValidName(to); err != nil {
		return nil, err
	}
	dev, err := b.h.Device(from)
	if err != nil {
		return nil, err
	}
	haRename := r.Bool("homeassistant_rename")
	old := dev.FriendlyName
	if haRename && b.cfg.HADiscovery && old != to {
		// Clear the configs first so that Home Assistant deletes the
		// entities and derives new entity ids from the new name.
		done := make(chan struct{})
		b.ctrlDo(func() { b.clearDiscovery(dev.IEEE); close(done) })
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-time.After(b.cfg.HARenameDelay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := b.h.Rename(ctx, dev.IEEE.String(), to); err != nil {
		return nil, err
	}
	return map[string]any{"from": old, "to": to, "homeassistant_rename": haRename}, nil
}

func (b *Bridge) reqDeviceInterview(ctx context.Context, r Request) (map[string]any, error) {
	id, ok := r.String("id", false)
	if !ok || id == "" {
		return nil, invalid(`want {"id": "<device>"}`)
	}
	if err := b.h.Interview(ctx, id); err != nil {
		return nil, err
	}
	return map[string]any{"id": id}, nil
}
