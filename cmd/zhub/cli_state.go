package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const (
	getSynopsis = "zhub get NAME [PROPERTY...] [--json]"
	setSynopsis = "zhub set NAME|GROUP key=value... | zhub set NAME|GROUP '{\"key\":value}' [--json]"
)

// runGet reads properties from a device now.
func runGet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub get", getSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, -1, getSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	r, err := c.api().Get(ctx, pos[0], pos[1:]...)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(r))
	}
	if len(r.State) == 0 {
		fmt.Fprintf(stdout, "%s has no property that can be read on demand; its last reported state is in `zhub device show %s`\n", r.Device, r.Device)
		return exitOK
	}
	tw := newTable(stdout)
	for _, k := range sortedKeys(r.State) {
		fmt.Fprintf(tw, "%s\t%s\n", k, value(r.State[k]))
	}
	tw.Flush()
	return exitOK
}

// runSet changes properties of a device and prints what it reported back;
// NAME may also be a group (see runGroupSet).
func runSet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub set", setSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 2, -1, setSynopsis)
	}
	var values map[string]any
	if err == nil {
		values, err = parseAssignments(pos[1:])
	}
	if err != nil {
		return c.fail(err)
	}
	r, err := c.api().Set(ctx, pos[0], values)
	if err != nil {
		if gr, isGroup, gerr := c.setGroupInstead(ctx, pos[0], values, err); isGroup {
			if gerr != nil {
				return c.fail(gerr)
			}
			return c.printGroupSet(gr)
		}
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(r))
	}
	var parts []string
	for _, k := range sortedKeys(r.State) {
		parts = append(parts, k+" "+value(r.State[k]))
	}
	if len(parts) == 0 {
		fmt.Fprintf(stdout, "%s: done (the device reported no new values)\n", r.Device)
	} else {
		fmt.Fprintf(stdout, "%s: %s\n", r.Device, strings.Join(parts, ", "))
	}
	return exitOK
}

// parseAssignments turns the arguments of zhub set into a payload: either
// one JSON object, or key=value pairs whose values are JSON when they
// parse as JSON (numbers, true/false, objects: color={"x":0.3,"y":0.3})
// and strings otherwise (state=ON, color=#ff8800). brightness=50% means
// brightness_percent=50.
func parseAssignments(args []string) (map[string]any, error) {
	if len(args) == 0 {
		return nil, usagef("nothing to set: %s", setSynopsis)
	}
	if first := strings.TrimSpace(args[0]); strings.HasPrefix(first, "{") {
		if len(args) > 1 {
			return nil, usagef("give either one JSON object or key=value pairs, not both")
		}
		dec := json.NewDecoder(strings.NewReader(first))
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, usagef("invalid JSON object: %v", err)
		}
		if dec.More() {
			return nil, usagef("invalid JSON object: text after the closing brace")
		}
		if len(m) == 0 {
			return nil, usagef("nothing to set: the JSON object is empty")
		}
		if _, ok := m[""]; ok {
			return nil, usagef("invalid JSON object: a property name is empty")
		}
		return m, nil
	}
	out := make(map[string]any, len(args))
	for _, a := range args {
		key, raw, ok := strings.Cut(a, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, usagef("%q is not key=value (e.g. state=ON brightness=50%%)", a)
		}
		if raw == "" {
			return nil, usagef("%s has no value", key)
		}
		if key == "brightness" && strings.HasSuffix(raw, "%") {
			n, err := strconv.ParseFloat(strings.TrimSuffix(raw, "%"), 64)
			if err != nil {
				return nil, usagef("brightness=%s: not a percentage", raw)
			}
			key, raw = "brightness_percent", strconv.FormatFloat(n, 'f', -1, 64)
		}
		if _, dup := out[key]; dup {
			return nil, usagef("%s is given twice", key)
		}
		out[key] = assignmentValue(raw)
	}
	return out, nil
}

// assignmentValue is raw as JSON when it is a JSON number, boolean, null,
// object, array or quoted string; raw itself otherwise.
func assignmentValue(raw string) any {
	t := strings.TrimSpace(raw)
	if t == "" || !json.Valid([]byte(t)) {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(t)))
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	return v
}
