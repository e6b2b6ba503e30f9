package zcl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
)

// Cluster describes a cluster of the library: its attributes and its
// cluster-specific commands.
type Cluster struct {
	ID zigbee.ClusterID
	// Name is the zigbee-herdsman spelling ("genOnOff"), which zhub shows
	// to the outside world (MQTT, MCP).
	Name string
	// Label is the ZCL specification's name ("On/Off").
	Label      string
	Attributes []Attribute
	Commands   []Command
}

// Attribute describes one attribute of a cluster.
type Attribute struct {
	ID     AttributeID
	Name   string // herdsman camelCase, e.g. "measuredValue"
	Type   DataType
	Access Access
}

// Command describes a cluster-specific command.
type Command struct {
	ID CommandID
	// Name is herdsman's camelCase name ("moveToLevel").
	Name string
	// Direction is ClientToServer for commands a cluster server receives,
	// ServerToClient for commands it generates (responses, notifications).
	Direction Direction
	Fields    []Field
}

// Field is one payload field of a command.
type Field struct {
	Name string
	Type DataType
	// Optional fields are trailing fields older devices omit (for example
	// the options mask/override of Level Control commands, ZCL 6).
	Optional bool
	// Repeated marks a last field that repeats to the end of the payload.
	Repeated bool
}

// Attribute returns the attribute with id.
func (c *Cluster) Attribute(id AttributeID) (*Attribute, bool) {
	for i := range c.Attributes {
		if c.Attributes[i].ID == id {
			return &c.Attributes[i], true
		}
	}
	return nil, false
}

// AttributeByName returns the attribute with the herdsman name (case
// insensitive).
func (c *Cluster) AttributeByName(name string) (*Attribute, bool) {
	for i := range c.Attributes {
		if strings.EqualFold(c.Attributes[i].Name, name) {
			return &c.Attributes[i], true
		}
	}
	return nil, false
}

// Command returns the command with id sent in direction dir.
func (c *Cluster) Command(id CommandID, dir Direction) (*Command, bool) {
	for i := range c.Commands {
		if cmd := &c.Commands[i]; cmd.ID == id && cmd.Direction == dir {
			return cmd, true
		}
	}
	return nil, false
}

// CommandByName returns the command with the herdsman name (case
// insensitive), in either direction.
func (c *Cluster) CommandByName(name string) (*Command, bool) {
	for i := range c.Commands {
		if strings.EqualFold(c.Commands[i].Name, name) {
			return &c.Commands[i], true
		}
	}
	return nil, false
}

func (c *Cluster) String() string { return fmt.Sprintf("%s (%v)", c.Name, c.ID) }

// Encode encodes args as the command's payload, each converted to its
// field's type. Optional trailing fields may be left out; a Repeated last
// field takes all remaining args.
func (cmd *Command) Encode(args ...Value) ([]byte, error) {
	var out []byte
	fi := 0
	for _, a := range args {
		if fi >= len(cmd.Fields) {
			return nil, fmt.Errorf("zcl: encode %s: %d args for %d fields: %w", cmd.Name, len(args), len(cmd.Fields), ErrBadValue)
		}
		f := cmd.Fields[fi]
		if f.Type == TypeUnknown {
			return nil, fmt.Errorf("zcl: encode %s: field %s has no generic layout: %w", cmd.Name, f.Name, ErrUnknownType)
		}
		out = a.appendAs(out, f.Type)
		if !f.Repeated {
			fi++
		}
	}
	if fi < len(cmd.Fields) && !cmd.Fields[fi].Optional && !cmd.Fields[fi].Repeated {
		return nil, fmt.Errorf("zcl: encode %s: missing field %s: %w", cmd.Name, cmd.Fields[fi].Name, ErrBadValue)
	}
	return out, nil
}

// Decode decodes a payload into one Value per field present (a Repeated
// field gives one Value per repetition).
func (cmd *Command) Decode(b []byte) ([]Value, error) {
	var out []Value
	i := 0
	for _, f := range cmd.Fields {
		if i == len(b) && (f.Optional || f.Repeated) {
			break
		}
		if f.Type == TypeUnknown {
			return nil, decodeErr(cmd.Name+" "+f.Name, i, ErrUnknownType)
		}
		for {
			v, n, err := decodeValue(f.Type, b[i:], 0)
			if err != nil {
				return nil, decodeErr(cmd.Name+" "+f.Name, i+n, err)
			}
			i += n
			out = append(out, v)
			if !f.Repeated || i == len(b) || n == 0 {
				break
			}
		}
	}
	if i != len(b) {
		return nil, decodeErr(cmd.Name, i, ErrTrailing)
	}
	return out, nil
}

var (
	clustersByID   map[zigbee.ClusterID]*Cluster
	clustersByName map[string]*Cluster
)

func init() {
	clustersByID = make(map[zigbee.ClusterID]*Cluster, len(library))
	clustersByName = make(map[string]*Cluster, 2*len(library))
	for i := range library {
		c := &library[i]
		clustersByID[c.ID] = c
		clustersByName[strings.ToLower(c.Name)] = c
		clustersByName[strings.ToLower(c.Label)] = c
	}
}

// ClusterByID returns the library's description of cluster id.
func ClusterByID(id zigbee.ClusterID) (*Cluster, bool) {
	c, ok := clustersByID[id]
	return c, ok
}

// ClusterByName finds a cluster by herdsman name ("genOnOff") or spec
// label ("On/Off"), ignoring case.
func ClusterByName(name string) (*Cluster, bool) {
	c, ok := clustersByName[strings.ToLower(name)]
	return c, ok
}

// Clusters returns every cluster of the library, ordered by id. The
// returned clusters are shared: do not modify them.
func Clusters() []*Cluster {
	out := make([]*Cluster, 0, len(library))
	for i := range library {
		out = append(out, &library[i])
	}
	slices.SortFunc(out, func(a, b *Cluster) int { return int(a.ID) - int(b.ID) })
	return out
}

// ClusterName returns the herdsman name of id, or "0xXXXX" when the
// library does not know it.
func ClusterName(id zigbee.ClusterID) string {
	if c, ok := clustersByID[id]; ok {
		return c.Name
	}
	return id.String()
}
