//go:build !linux

package sim

import (
	"context"
	"fmt"
)

// ServePTY is only available on Linux.
func (n *Network) ServePTY(ctx context.Context, path string) error {
	return fmt.Errorf("sim: pty %s: %w", path, ErrUnsupported)
}
