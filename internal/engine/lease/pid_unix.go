//go:build unix

package lease

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// processExists reports whether pid names a process that still runs. Where
// /proc shows the process, its state decides: a zombie ('Z') or a dead
// task ('X') has exited and will never renew a lease, though the kernel
// still knows its pid until its parent reaps it. Where /proc is absent
// (macOS, the BSDs, no procfs mounted) or hides the pid (hidepid), signal 0
// decides: ESRCH means gone, and EPERM means another user's live process.
// Without /proc a zombie still counts as alive, and its lease lapses by TTL.
func processExists(pid int) bool {
	if state, ok := procState(pid); ok {
		return state != 'Z' && state != 'X'
	}
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}

// procState reads the one-letter state of pid from /proc/PID/stat (field
// 3), and false when /proc cannot say.
func procState(pid int) (byte, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseProcState(string(raw))
}

// parseProcState takes the state out of a /proc/PID/stat line. The command
// name in field 2 is in parentheses and may itself hold spaces and ")", so
// the state is the first field after the last ")".
func parseProcState(stat string) (byte, bool) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, false
	}
	fields := strings.Fields(stat[end+1:])
	if len(fields) == 0 || len(fields[0]) != 1 {
		return 0, false
	}
	return fields[0][0], true
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
