package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Device is one row of the device registry.
type Device struct {
	IEEE         string // "0x" + 16 hex digits; stored lower-case
	NWK          uint16 // last known short address
	FriendlyName string // unique among devices, non-empty
	Model        string
	Vendor       string
	// Data holds everything else (endpoints, clusters, interview results,
	// options) as one JSON document; nil or valid JSON.
	Data json.RawMessage
	// CreatedAt is kept from the first PutDevice (the store's clock unless
	// the caller sets it, e.g. on import); UpdatedAt is set by every
	// PutDevice.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PutDevice inserts d or replaces the device with the same IEEE address
// (CreatedAt of an existing row is kept). A friendly name another device
// already has fails with ErrDuplicateName.
func (s *Store) PutDevice(ctx context.Context, d Device) error {
	ieee, err := normalizeIEEE(d.IEEE)
	if err != nil {
		return fmt.Errorf("store: put device: %w", err)
	}
	if d.FriendlyName == "" {
		return fmt.Errorf("store: put device %s: empty friendly name: %w", ieee, ErrInvalid)
	}
	data, err := jsonArg("data", d.Data)
	if err != nil {
		return fmt.Errorf("store: put device %s: %w", ieee, err)
	}
	now := s.now()
	created := now
	if !d.CreatedAt.IsZero() {
		created = d.CreatedAt
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qPutDevice, ieee, int64(d.NWK), d.FriendlyName, d.Model, d.Vendor, data, toMS(created), toMS(now))
		return err
	})
	switch {
	case err == nil:
		return nil
	case isUniqueName(err):
		return fmt.Errorf("store: put device %s: friendly name %q: %w", ieee, d.FriendlyName, ErrDuplicateName)
	default:
		return fmt.Errorf("store: put device %s: %w", ieee, err)
	}
}

const (
	qPutDevice = `
INSERT INTO devices (ieee, nwk, friendly_name, model, vendor, data, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (ieee) DO UPDATE SET
	nwk = excluded.nwk, friendly_name = excluded.friendly_name, model = excluded.model,
	vendor = excluded.vendor, data = excluded.data, updated_at = excluded.updated_at`
	qDeleteDevice = `DELETE FROM devices WHERE ieee = ?`
)

const deviceColumns = `ieee, nwk, friendly_name, model, vendor, data, created_at, updated_at`

func scanDevice(sc interface{ Scan(...any) error }) (Device, error) {
	var d Device
	var nwk, created, updated int64
	var data sql.NullString
	if err := sc.Scan(&d.IEEE, &nwk, &d.FriendlyName, &d.Model, &d.Vendor, &data, &created, &updated); err != nil {
		return Device{}, err
	}
	d.NWK = uint16(nwk)
	d.Data = fromNullJSON(data)
	d.CreatedAt = fromMS(created)
	d.UpdatedAt = fromMS(updated)
	return d, nil
}

// Device returns the device with this IEEE address, or ErrNotFound.
func (s *Store) Device(ctx context.Context, ieee string) (Device, error) {
	id, err := normalizeIEEE(ieee)
	if err != nil {
		return Device{}, fmt.Errorf("store: device: %w", err)
	}
	if s.closed() {
		return Device{}, fmt.Errorf("store: device %s: %w", id, ErrClosed)
	}
	row := s.readers.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE ieee = ?`, id)
	d, err := scanDevice(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Device{}, fmt.Errorf("store: device %s: %w", id, ErrNotFound)
	case err != nil:
		return Device{}, fmt.Errorf("store: device %s: %w", id, err)
	}
	return d, nil
}

// Devices returns every device, ordered by friendly name.
func (s *Store) Devices(ctx context.Context) ([]Device, error) {
	if s.closed() {
		return nil, fmt.Errorf("store: devices: %w", ErrClosed)
	}
	rows, err := s.readers.QueryContext(ctx, `SELECT `+deviceColumns+` FROM devices ORDER BY friendly_name`)
	if err != nil {
		return nil, fmt.Errorf("store: devices: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("store: devices: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: devices: %w", err)
	}
	return out, nil
}

// DeleteDevice removes the device and, by cascade, its state and history
// (events are a log and keep mentioning it). Unknown devices: ErrNotFound.
func (s *Store) DeleteDevice(ctx context.Context, ieee string) error {
	id, err := normalizeIEEE(ieee)
	if err != nil {
		return fmt.Errorf("store: delete device: %w", err)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return affectOne(s.exec(ctx, tx, qDeleteDevice, id))
	})
	if err != nil {
		return fmt.Errorf("store: delete device %s: %w", id, err)
	}
	return nil
}

// affectOne turns "no row changed" into ErrNotFound.
func affectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
