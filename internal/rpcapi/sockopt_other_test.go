//go:build !unix

package rpcapi_test

import "syscall"

// smallReceiveBuffer leaves the buffer as it is: the tests that use it
// only take longer to fill the pipe.
func smallReceiveBuffer(_, _ string, _ syscall.RawConn) error { return nil }
