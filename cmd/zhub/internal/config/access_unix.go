//go:build unix

package config

import "golang.org/x/sys/unix"

// accessRW checks read and write permission without opening the file.
func accessRW(path string) error { return unix.Access(path, unix.R_OK|unix.W_OK) }
