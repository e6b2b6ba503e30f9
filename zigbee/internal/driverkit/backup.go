package driverkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/zhubhq/zhub/zigbee"
)

// BackupMatches reports whether backup b can serve the configured network
// cfg, by the rule of Differences.
func BackupMatches(cfg zigbee.NetworkConfig, b *zigbee.Backup) bool {
	held := NetworkParams{PANID: zigbee.PANID(b.PANID), ExtPANID: zigbee.ExtPANID(b.ExtPANID), Channel: b.Channel, Key: b.Key()}
	return len(Differences(cfg, held, true)) == 0
}

// BackupFile is a driver's Open Coordinator Backup file (its
// Config.BackupPath): read at start to restore a blank coordinator, and
// rewritten whenever the network was formed or restored. The file holds
// the network key: it is written with mode 0600 and never logged.
type BackupFile struct {
	// Name is the driver, as error prefix ("znp").
	Name string
	// Path is the file; empty means the driver keeps no backup file.
	Path string
	// Network is the configured network the file must match to be used.
	Network zigbee.NetworkConfig
	Log     *slog.Logger
}

// Load returns the backup in the file when the file exists, parses and
// matches Network; otherwise nil, with a log line saying why (none for a
// missing file).
func (f BackupFile) Load() *zigbee.Backup {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		f.Log.Warn("cannot read the backup file", "event", "backup_unreadable", "path", f.Path, "err", err)
		return nil
	}
	b, err := zigbee.ParseBackup(data)
	if err != nil {
		f.Log.Warn("ignoring an invalid backup file", "event", "backup_invalid", "path", f.Path, "err", err)
		return nil
	}
	if !BackupMatches(f.Network, b) {
		f.Log.Warn("the backup file does not match the configured network, not restoring it",
			"event", "backup_mismatch", "path", f.Path)
		return nil
	}
	return b
}

// Keep writes a fresh backup, read from the coordinator with read, when
// the network changed (was just formed or restored) or the file is
// missing. A failure is logged (backup_write_failed), not returned: the
// network runs without its backup file. Without a Path it does nothing.
func (f BackupFile) Keep(ctx context.Context, changed bool, read func(context.Context) (*zigbee.Backup, error)) {
	if f.Path == "" {
		return
	}
	_, statErr := os.Stat(f.Path)
	if !changed && !errors.Is(statErr, os.ErrNotExist) {
		return
	}
	b, err := read(ctx)
	if err == nil {
		err = f.Write(b)
	}
	if err != nil {
		f.Log.Warn("writing the backup file failed", "event", "backup_write_failed", "path", f.Path, "err", err)
	}
}

// Write writes b as indented JSON to the file with mode 0600, through a
// temporary file renamed over it, so a crash never leaves half a backup.
func (f BackupFile) Write(b *zigbee.Backup) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: encode backup: %w", f.Name, err)
	}
	data = append(data, '\n')
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("%s: write backup: %w", f.Name, err)
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: write backup: %w", f.Name, err)
	}
	f.Log.Info("backup file written", "event", "backup_written", "path", f.Path, "devices", len(b.Devices))
	return nil
}
