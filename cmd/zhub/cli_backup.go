package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
)

const (
	backupSynopsis  = "zhub backup [--out FILE] [--json]"
	restoreSynopsis = "zhub restore FILE [--yes] [--json]"
)

// backupSummary is `zhub backup --out FILE --json`.
type backupSummary struct {
	File            string `json:"file"`
	CoordinatorIEEE string `json:"coordinator_ieee"`
	Channel         int    `json:"channel"`
	PANID           string `json:"pan_id"`
	ExtendedPANID   string `json:"extended_pan_id"`
	Devices         int    `json:"devices"`
}

// runBackup writes the coordinator backup (Open Coordinator Backup JSON),
// which holds the network key: to FILE (mode 0600), or to stdout when
// stdout is not a terminal.
func runBackup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub backup", backupSynopsis, stdin, stdout, stderr)
	out := c.fs.String("out", "", "write the backup to this file (mode 0600) instead of stdout")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, backupSynopsis)
	}
	if err == nil && *out == "" && terminal(stdout) {
		err = usagef("the backup contains the network key: write it to a file with --out FILE (or redirect stdout)")
	}
	if err != nil {
		return c.fail(err)
	}
	data, err := c.api().Backup(ctx)
	if err != nil {
		return c.fail(err)
	}
	if *out == "" {
		_, err := stdout.Write(data)
		return c.fail(err)
	}
	b, err := zigbee.ParseBackup(data)
	if err != nil {
		return c.fail(fmt.Errorf("the daemon's backup does not validate: %w", err))
	}
	if err := writeSecretFile(*out, data); err != nil {
		return c.fail(err)
	}
	sum := backupSummary{File: *out, CoordinatorIEEE: zigbee.IEEE(b.CoordinatorIEEE).String(), Channel: int(b.Channel),
		PANID: zigbee.PANID(b.PANID).String(), ExtendedPANID: zigbee.ExtPANID(b.ExtPANID).String(), Devices: len(b.Devices)}
	if c.json {
		return c.fail(c.printJSON(sum))
	}
	fmt.Fprintf(stdout, "backup written to %s (channel %d, PAN %s, %d devices); it contains the network key: keep it private\n",
		sum.File, sum.Channel, sum.PANID, sum.Devices)
	return exitOK
}

// writeSecretFile writes data to path with mode 0600, replacing it
// atomically.
func writeSecretFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write backup: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write backup: %w", err)
	}
	return nil
}

// runRestore writes a backup file (zhub's, Zigbee2MQTT's or ZHA's) to the
// coordinator. It asks first on a terminal; elsewhere it needs --yes.
func runRestore(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub restore", restoreSynopsis, stdin, stdout, stderr)
	yes := c.fs.Bool("yes", false, "do not ask for confirmation")
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 1, 1, restoreSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return c.fail(fmt.Errorf("read backup: %w", err))
	}
	b, err := zigbee.ParseBackup(data)
	if err != nil {
		return c.fail(fmt.Errorf("%s: %w", pos[0], err))
	}
	if !*yes {
		if !terminal(stdin) {
			return c.fail(usagef("restoring replaces the coordinator's network: confirm with --yes"))
		}
		fmt.Fprintf(stdout, "Restore %s onto the coordinator (channel %d, PAN %s, %d devices)? This replaces its current network. [y/N] ",
			pos[0], int(b.Channel), zigbee.PANID(b.PANID), len(b.Devices))
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "not restored")
			return exitFailed
		}
	}
	r, err := c.api().Restore(ctx, data)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(r))
	}
	fmt.Fprintf(stdout, "restored: channel %d, PAN %s, extended PAN %s, %d devices\n", r.Channel, r.PANID, r.ExtendedPANID, r.Devices)
	return exitOK
}
