package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReplaceGroups: the stored set is exactly the last set given (renames,
// swaps and deletions included); a member whose device is unknown is
// skipped and named in an ErrNotFound error while the rest is written; an
// invalid set writes nothing.
func TestReplaceGroups(t *testing.T) {
	t1 := testNow.Add(-time.Hour)
	living := Group{ID: 1, Name: "living_room", CreatedAt: t1,
		Members: []GroupMember{{ieeeB, 1}, {"0x00124B0012345678", 2}, {ieeeA, 1}}}
	livingStored := Group{ID: 1, Name: "living_room", CreatedAt: t1,
		Members: []GroupMember{{ieeeA, 1}, {ieeeA, 2}, {ieeeB, 1}}}
	tests := []struct {
		name    string
		before  []Group // written first, must succeed
		replace []Group
		wantIs  error
		wantErr string // in the error text
		want    []Group
	}{
		{"groups and members, members sorted, address case folded", nil, []Group{living, {ID: 0xFFF7, Name: "empty"}},
			nil, "", []Group{livingStored, {ID: 0xFFF7, Name: "empty", CreatedAt: testNow}}},
		{"a group left out is deleted with its members", []Group{living, {ID: 2, Name: "kitchen"}}, []Group{{ID: 2, Name: "kitchen", CreatedAt: t1}},
			nil, "", []Group{{ID: 2, Name: "kitchen", CreatedAt: t1}}},
		{"names swap in one call", []Group{{ID: 1, Name: "a"}, {ID: 2, Name: "b"}}, []Group{{ID: 1, Name: "b"}, {ID: 2, Name: "a"}},
			nil, "", []Group{{ID: 1, Name: "b", CreatedAt: testNow}, {ID: 2, Name: "a", CreatedAt: testNow}}},
		{"empty set deletes everything", []Group{living}, nil, nil, "", nil},
		{"unknown device skipped", nil, []Group{{ID: 3, Name: "hall", Members: []GroupMember{{"0x00000000000000ff", 1}, {ieeeA, 1}}}},
			ErrNotFound, "0x00000000000000ff", []Group{{ID: 3, Name: "hall", CreatedAt: testNow, Members: []GroupMember{{ieeeA, 1}}}}},
		{"id 0", []Group{living}, []Group{{ID: 0, Name: "zero"}}, ErrInvalid, "group id 0", []Group{livingStored}},
		{"id above 0xFFF7", nil, []Group{{ID: 0xFFF8, Name: "reserved"}}, ErrInvalid, "65528", nil},
		{"empty name", nil, []Group{{ID: 4, Name: ""}}, ErrInvalid, "empty name", nil},
		{"name twice", nil, []Group{{ID: 4, Name: "x"}, {ID: 5, Name: "x"}}, ErrInvalid, `"x" twice`, nil},
		{"id twice", nil, []Group{{ID: 4, Name: "x"}, {ID: 4, Name: "y"}}, ErrInvalid, "id 4 twice", nil},
		{"member twice", nil, []Group{{ID: 4, Name: "x", Members: []GroupMember{{ieeeA, 1}, {ieeeA, 1}}}}, ErrInvalid, "twice", nil},
		{"endpoint 0", nil, []Group{{ID: 4, Name: "x", Members: []GroupMember{{ieeeA, 0}}}}, ErrInvalid, "endpoint 0", nil},
		{"endpoint 242", nil, []Group{{ID: 4, Name: "x", Members: []GroupMember{{ieeeA, 242}}}}, ErrInvalid, "endpoint 242", nil},
		{"malformed address", nil, []Group{{ID: 4, Name: "x", Members: []GroupMember{{"lamp", 1}}}}, ErrInvalid, "lamp", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, Config{})
			ctx := t.Context()
			mustPutDevice(t, s, ieeeA, "lamp")
			mustPutDevice(t, s, ieeeB, "plug")
			if tc.before != nil {
				if err := s.ReplaceGroups(ctx, tc.before); err != nil {
					t.Fatalf("ReplaceGroups (before): %v", err)
				}
			}
			err := s.ReplaceGroups(ctx, tc.replace)
			if !errors.Is(err, tc.wantIs) || (tc.wantIs == nil) != (err == nil) {
				t.Fatalf("ReplaceGroups error = %v, want %v", err, tc.wantIs)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not name %q", err, tc.wantErr)
			}
			got, err := s.Groups(ctx)
			if err != nil {
				t.Fatalf("Groups: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("stored groups\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestDeleteDeviceDropsMemberships: deleting a device deletes its group
// memberships (and nothing else of the group).
func TestDeleteDeviceDropsMemberships(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	mustPutDevice(t, s, ieeeA, "lamp")
	mustPutDevice(t, s, ieeeB, "plug")
	if err := s.ReplaceGroups(ctx, []Group{{ID: 7, Name: "g", Members: []GroupMember{{ieeeA, 1}, {ieeeB, 1}}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDevice(ctx, ieeeA); err != nil {
		t.Fatal(err)
	}
	got, err := s.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{{ID: 7, Name: "g", CreatedAt: testNow, Members: []GroupMember{{ieeeB, 1}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after deleting %s: %+v, want %+v", ieeeA, got, want)
	}
}

func TestGroupsClosed(t *testing.T) {
	s := openTest(t, Config{})
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Groups(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Groups after Close: %v", err)
	}
	if err := s.ReplaceGroups(t.Context(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("ReplaceGroups after Close: %v", err)
	}
}
