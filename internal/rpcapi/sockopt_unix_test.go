//go:build unix

package rpcapi_test

import "syscall"

// smallReceiveBuffer sets a socket's receive buffer to 4 KiB before it
// connects, which keeps the TCP window small.
func smallReceiveBuffer(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	}); err != nil {
		return err
	}
	return serr
}
