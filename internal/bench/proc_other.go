//go:build !linux

package bench

import "syscall"

// sysProcAttr: elsewhere the server is stopped by the bench only.
func sysProcAttr() *syscall.SysProcAttr { return nil }
