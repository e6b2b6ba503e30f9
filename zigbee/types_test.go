package zigbee

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func writeAll(p string) error { return os.WriteFile(p, []byte("x"), 0o600) }

func TestParseIEEE(t *testing.T) {
	tests := []struct {
		in      string
		want    IEEE
		wantErr bool
	}{
		{"0x00124b0012345678", 0x00124b0012345678, false},
		{"00124B0012345678", 0x00124b0012345678, false},
		{"00:12:4b:00:12:34:56:78", 0x00124b0012345678, false},
		{"", 0, true},
		{"0x00124b00123456789", 0, true},
		{"zz", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseIEEE(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseIEEE(%q) = %v, %v", tc.in, got, err)
		}
		if err == nil && got.String() != "0x00124b0012345678" {
			t.Errorf("String = %s", got)
		}
	}
}

func TestNetworkKeyNeverPrints(t *testing.T) {
	k := NetworkKey{0xde, 0xad, 0xbe, 0xef}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %s", k, k), k.LogValue().String()} {
		if strings.Contains(strings.ToLower(s), "dead") {
			t.Errorf("key leaked: %s", s)
		}
	}
	if !(NetworkKey{}).IsWellKnown() || !WellKnownNetworkKeys[0].IsWellKnown() || k.IsWellKnown() {
		t.Error("IsWellKnown wrong")
	}
}

func TestBackupRoundTrip(t *testing.T) {
	info := NetworkInfo{Channel: 15, PANID: 0x1a62, ExtPANID: 0xdddddddddddddddd, IEEE: 0x00124b0021b776f1,
		ChannelMask: Channel(15).Mask(), FrameCounter: 16432}
	key := NetworkKey{1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14}
	b := NewBackup(info, key, "zhub test", time.Unix(0, 0))
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"coordinator_ieee":"00124b0021b776f1"`, `"pan_id":"1a62"`,
		`"extended_pan_id":"dddddddddddddddd"`, `"key":"01030507090b0d0f00020406080a0c0e"`, `"channel_mask":[15]`,
		`"format":"zigpy/open-coordinator-backup"`, `"frame_counter":16432`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("backup JSON lacks %s: %s", want, data)
		}
	}
	got, err := ParseBackup(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Key() != key || PANID(got.PANID) != info.PANID || got.Channel != 15 {
		t.Errorf("round trip mismatch: %+v", got)
	}
}

func TestParseBackupHerdsmanFile(t *testing.T) {
	// The shape interfaces.md §A.9 shows (herdsman writes pan_id without padding at times).
	in := `{"metadata":{"format":"zigpy/open-coordinator-backup","version":1,"source":"zigbee-herdsman@10.6.1","internal":{"date":"2025-04-04T10:00:00.000Z","znpVersion":1}},
	"stack_specific":{"zstack":{"tclk_seed":"928a2c479e72a9a53e3b5f9b1ed8fa26"}},"coordinator_ieee":"00124b0021b776f1","pan_id":"a62",
	"extended_pan_id":"dddddddddddddddd","nwk_update_id":0,"security_level":5,"channel":11,"channel_mask":[11],
	"network_key":{"key":"01030507090b0d0f00020406080a0c0d","sequence_number":0,"frame_counter":16432},
	"devices":[{"nwk_address":"803d","ieee_address":"842e14fffe6cca58","is_child":false,"link_key":{"key":"00112233445566778899aabbccddeeff","rx_counter":0,"tx_counter":1}}]}`
	b, err := ParseBackup([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if b.PANID != 0x0a62 || len(b.Devices) != 1 || b.Devices[0].NWK != 0x803d || *b.Devices[0].IsChild {
		t.Errorf("parsed %+v", b)
	}
	bad := []string{`{}`, `not json`, strings.Replace(in, `"channel":11`, `"channel":27`, 1),
		strings.Replace(in, `"01030507090b0d0f00020406080a0c0d"`, `"00000000000000000000000000000000"`, 1)}
	for _, s := range bad {
		if _, err := ParseBackup([]byte(s)); !errors.Is(err, ErrBadBackup) {
			t.Errorf("ParseBackup(%.40q) err = %v, want ErrBadBackup", s, err)
		}
	}
}
