//go:build linux

package faultinject

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// process is a process found under /proc.
type process struct {
	pid int
	exe string
}

// procStat reads the state letter and parent pid of a process; ok is false
// when the process no longer exists.
func procStat(pid int) (state byte, ppid int, ok bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name may contain spaces and parentheses: fields start
	// after its last ")".
	stat := string(raw)
	fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(fields) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return fields[0][0], ppid, true
}

// childRunning returns the child of parent whose executable is exe.
func childRunning(parent int, exe string) (process, bool) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(pid); !ok || ppid != parent {
			continue
		}
		if path, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && path == exe {
			return process{pid: pid, exe: exe}, true
		}
	}
	return process{}, false
}

// alive reports whether the process still runs: a zombie has exited even
// if nobody has reaped it yet, and a pid reused by another program is not
// our process.
func (p process) alive() bool {
	state, _, ok := procStat(p.pid)
	if !ok || state == 'Z' || state == 'X' {
		return false
	}
	path, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.pid))
	return err == nil && path == p.exe
}

func (p process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(p.pid, sig); err != nil {
		t.Fatalf("sending %s to the provider (pid %d): %v", sig, p.pid, err)
	}
}

// waitExit returns when the process has exited, and false if it still
// runs after bound.
func (p process) waitExit(bound time.Duration) bool {
	deadline := time.Now().Add(bound)
	for p.alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
