package driverkit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
)

func TestBackupMatches(t *testing.T) {
	b := testBackup() // channel 15, PAN 0x1A62, key 01 02 03 …
	tests := []struct {
		name string
		cfg  zigbee.NetworkConfig
		want bool
	}{
		{"all generated", zigbee.NetworkConfig{}, true},
		{"same", zigbee.NetworkConfig{Channel: 15, PANID: 0x1A62, ExtPANID: 0xDDDD00000000ABCD, Key: b.Key()}, true},
		{"other channel", zigbee.NetworkConfig{Channel: 11}, false},
		{"other key", zigbee.NetworkConfig{Key: zigbee.NetworkKey{7}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BackupMatches(tt.cfg, b); got != tt.want {
				t.Errorf("BackupMatches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackupFileWriteLoad(t *testing.T) {
	log, rec := newLog()
	f := BackupFile{Name: "test", Path: filepath.Join(t.TempDir(), "coordinator_backup.json"), Log: log}
	b := testBackup()
	if err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (the file holds the network key)", st.Mode().Perm())
	}
	if _, err := os.Stat(f.Path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	got := f.Load()
	if got == nil || got.Key() != b.Key() || got.Channel != b.Channel {
		t.Fatalf("Load = %+v, want the backup written", got)
	}
	if len(rec.events(t, "backup_written")) != 1 {
		t.Errorf("no backup_written record")
	}
}

func TestBackupFileLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	matching := BackupFile{Path: filepath.Join(dir, "good.json"), Log: discard()}
	if err := matching.Write(testBackup()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		network zigbee.NetworkConfig
		event   string // the log record that says why; "" for none
	}{
		{"missing", filepath.Join(dir, "none.json"), zigbee.NetworkConfig{}, ""},
		{"unreadable", dir, zigbee.NetworkConfig{}, "backup_unreadable"},
		{"invalid", write("bad.json", `{"metadata": {"format": "other"}}`), zigbee.NetworkConfig{}, "backup_invalid"},
		{"not JSON", write("text.json", "not json"), zigbee.NetworkConfig{}, "backup_invalid"},
		{"other network", matching.Path, zigbee.NetworkConfig{Channel: 11}, "backup_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, rec := newLog()
			f := BackupFile{Name: "test", Path: tt.path, Network: tt.network, Log: log}
			if b := f.Load(); b != nil {
				t.Fatalf("Load = %+v, want nil", b)
			}
			for _, ev := range []string{"backup_unreadable", "backup_invalid", "backup_mismatch"} {
				n := len(rec.events(t, ev))
				if want := ev == tt.event; (n == 1) != want {
					t.Errorf("%d %s records", n, ev)
				}
			}
		})
	}
}

func TestBackupFileKeep(t *testing.T) {
	readErr := errors.New("coordinator busy")
	tests := []struct {
		name      string
		exists    bool
		changed   bool
		read      error
		wantRead  bool
		wantFile  bool // a new backup is in the file
		wantEvent string
	}{
		{"missing file is written", false, false, nil, true, true, "backup_written"},
		{"changed network is written", true, true, nil, true, true, "backup_written"},
		{"unchanged network keeps the file", true, false, nil, false, false, ""},
		{"read failure is logged", false, true, readErr, true, false, "backup_write_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, rec := newLog()
			f := BackupFile{Name: "test", Path: filepath.Join(t.TempDir(), "backup.json"), Log: log}
			if tt.exists {
				if err := os.WriteFile(f.Path, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			read := false
			f.Keep(t.Context(), tt.changed, func(context.Context) (*zigbee.Backup, error) {
				read = true
				if tt.read != nil {
					return nil, tt.read
				}
				return testBackup(), nil
			})
			if read != tt.wantRead {
				t.Errorf("read the coordinator: %v, want %v", read, tt.wantRead)
			}
			data, _ := os.ReadFile(f.Path)
			if _, err := zigbee.ParseBackup(data); (err == nil) != tt.wantFile {
				t.Errorf("file holds a backup: %v, want %v (%q)", err == nil, tt.wantFile, data)
			}
			if tt.wantEvent != "" && len(rec.events(t, tt.wantEvent)) != 1 {
				t.Errorf("no %s record", tt.wantEvent)
			}
		})
	}
	t.Run("no path", func(t *testing.T) {
		BackupFile{Log: discard()}.Keep(t.Context(), true, func(context.Context) (*zigbee.Backup, error) {
			t.Error("read without a backup file")
			return nil, nil
		})
	})
}

func TestBackupFileWriteFails(t *testing.T) {
	f := BackupFile{Name: "test", Path: filepath.Join(t.TempDir(), "no", "such", "dir", "backup.json"), Log: discard()}
	err := f.Write(testBackup())
	if err == nil || !errors.Is(err, os.ErrNotExist) || err.Error()[:19] != "test: write backup:" {
		t.Errorf("Write = %v, want a wrapped ErrNotExist", err)
	}
}
