package bench

import "syscall"

// sysProcAttr kills the server when the bench process dies, whatever kills
// it, so that no server is left listening on a temporary database.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
