package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxGroupID is the highest id of a Zigbee application group (the Groups
// cluster's range is 0x0001–0xFFF7; the ids above are reserved).
const MaxGroupID = 0xFFF7

// Group is one Zigbee group with its members.
type Group struct {
	ID      uint16 // 1..MaxGroupID, unique
	Name    string // non-empty, unique among groups
	Members []GroupMember
	// CreatedAt is stored as given; zero means the store's clock.
	CreatedAt time.Time
}

// GroupMember is one device endpoint in a group.
type GroupMember struct {
	IEEE     string // a device of the registry
	Endpoint uint8  // 1..240
}

const (
	qDeleteGroups  = `DELETE FROM zigbee_groups`
	qInsertGroup   = `INSERT INTO zigbee_groups (id, name, created_at) VALUES (?, ?, ?)`
	qInsertMember  = `INSERT INTO zigbee_group_members (group_id, ieee, endpoint) VALUES (?, ?, ?)`
	qSelectGroups  = `SELECT id, name, created_at FROM zigbee_groups ORDER BY id`
	qSelectMembers = `SELECT group_id, ieee, endpoint FROM zigbee_group_members ORDER BY group_id, ieee, endpoint`
)

// maxMemberEndpoint is the highest application endpoint (0x01–0xF0; the
// endpoints above belong to the stack and Green Power).
const maxMemberEndpoint = 240

// ReplaceGroups replaces every stored group and membership with groups, in
// one write operation: a group not in the list is deleted. The caller
// passes its whole set, which keeps renames and deletions free of ordering
// problems (groups are few; the set is small). Invalid input (an id out of
// range, an empty or repeated name, a repeated id or member, a malformed
// address, endpoint 0 or above 240) fails the call before anything is
// written. A member whose device is not in the registry is skipped: the
// rest is written, and the returned error wraps ErrNotFound and names the
// devices skipped.
func (s *Store) ReplaceGroups(ctx context.Context, groups []Group) error {
	type row struct {
		g       Group
		created int64
	}
	rows := make([]row, len(groups))
	ids := map[uint16]bool{}
	names := map[string]bool{}
	for i, g := range groups {
		switch {
		case g.ID == 0 || g.ID > MaxGroupID:
			return fmt.Errorf("store: replace groups: group id %d outside 1–%d: %w", g.ID, MaxGroupID, ErrInvalid)
		case g.Name == "":
			return fmt.Errorf("store: replace groups: group %d: empty name: %w", g.ID, ErrInvalid)
		case ids[g.ID]:
			return fmt.Errorf("store: replace groups: group id %d twice: %w", g.ID, ErrInvalid)
		case names[g.Name]:
			return fmt.Errorf("store: replace groups: group name %q twice: %w", g.Name, ErrInvalid)
		}
		ids[g.ID], names[g.Name] = true, true
		members := make([]GroupMember, len(g.Members))
		for j, m := range g.Members {
			id, err := normalizeIEEE(m.IEEE)
			if err != nil {
				return fmt.Errorf("store: replace groups: group %d: %w", g.ID, err)
			}
			if m.Endpoint == 0 || m.Endpoint > maxMemberEndpoint {
				return fmt.Errorf("store: replace groups: group %d: %s endpoint %d outside 1–%d: %w",
					g.ID, id, m.Endpoint, maxMemberEndpoint, ErrInvalid)
			}
			members[j] = GroupMember{IEEE: id, Endpoint: m.Endpoint}
		}
		slices.SortFunc(members, compareMembers)
		for j := 1; j < len(members); j++ {
			if members[j] == members[j-1] {
				return fmt.Errorf("store: replace groups: group %d: member %s/%d twice: %w",
					g.ID, members[j].IEEE, members[j].Endpoint, ErrInvalid)
			}
		}
		g.Members = members
		at := g.CreatedAt
		if at.IsZero() {
			at = s.now()
		}
		rows[i] = row{g, toMS(at)}
	}
	var missing []string
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		missing = missing[:0]
		if _, err := s.exec(ctx, tx, qDeleteGroups); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ins, err := s.stmt(ctx, tx, qInsertGroup)
		if err != nil {
			return err
		}
		mem, err := s.stmt(ctx, tx, qInsertMember)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := ins.ExecContext(ctx, int64(r.g.ID), r.g.Name, r.created); err != nil {
				return err
			}
			for _, m := range r.g.Members {
				// A foreign key failure undoes this statement only.
				if _, err := mem.ExecContext(ctx, int64(r.g.ID), m.IEEE, int64(m.Endpoint)); err != nil {
					if !isForeignKey(err) {
						return err
					}
					if !slices.Contains(missing, m.IEEE) {
						missing = append(missing, m.IEEE)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace groups: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("store: replace groups: members skipped, devices %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return nil
}

func compareMembers(a, b GroupMember) int {
	if c := strings.Compare(a.IEEE, b.IEEE); c != 0 {
		return c
	}
	return int(a.Endpoint) - int(b.Endpoint)
}

// Groups returns every group ordered by id, each with its members ordered
// by address then endpoint, as one consistent snapshot.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: groups: %w", ErrClosed)
	}
	out, err := s.readGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: groups: %w", err)
	}
	return out, nil
}

func (s *Store) readGroups(ctx context.Context) ([]Group, error) {
	// One read transaction: both queries see the same commit.
	tx, err := s.readers.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, qSelectGroups)
	if err != nil {
		return nil, err
	}
	var out []Group
	byID := map[uint16]int{}
	for rows.Next() {
		var id, created int64
		var g Group
		if err := rows.Scan(&id, &g.Name, &created); err != nil {
			rows.Close()
			return nil, err
		}
		g.ID, g.CreatedAt = uint16(id), fromMS(created)
		byID[g.ID] = len(out)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, err
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, qSelectMembers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var gid, ep int64
		var m GroupMember
		if err := rows.Scan(&gid, &m.IEEE, &ep); err != nil {
			return nil, err
		}
		m.Endpoint = uint8(ep)
		if i, ok := byID[uint16(gid)]; ok {
			out[i].Members = append(out[i].Members, m)
		}
	}
	return out, rows.Err()
}
