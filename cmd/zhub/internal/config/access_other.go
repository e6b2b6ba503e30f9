//go:build !unix

package config

// accessRW is not checked off unix; opening the port reports the problem.
func accessRW(string) error { return nil }
