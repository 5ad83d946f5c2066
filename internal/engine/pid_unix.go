//go:build unix

package engine

import (
	"errors"
	"os"
	"syscall"
)

// processExists asks the kernel whether pid names a process. Signal 0 is
// delivered to no one: ESRCH means the process is gone, and EPERM means it
// exists but belongs to another user, which is still alive.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}

// pidNamespace identifies this process table on Linux; elsewhere (and when
// /proc is not mounted) it is empty, and the host name alone decides.
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}
