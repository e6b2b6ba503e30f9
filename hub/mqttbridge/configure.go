package mqttbridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/zhubhq/zhub/hub"
)

// reqDeviceConfigure re-does a device's binds and reporting configuration
// (Zigbee2MQTT's reconfigure): {"id": "<device>"} or the bare id; the
// response data is {"id"}.
func (b *Bridge) reqDeviceConfigure(ctx context.Context, r Request) (map[string]any, error) {
	id, ok := r.String("id", true)
	if !ok || id == "" {
		return nil, invalid(`want {"id": "<device>"} or the device name`)
	}
	if err := b.h.Configure(ctx, id); err != nil {
		if errors.Is(err, hub.ErrUnknownDevice) {
			return nil, err // "Device '<id>' does not exist"
		}
		return nil, fmt.Errorf("failed to configure (%w)", err)
	}
	return map[string]any{"id": id}, nil
}
