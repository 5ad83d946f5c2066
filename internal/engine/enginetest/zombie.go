package enginetest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// StartZombie starts a short-lived child process and does not reap it, so
// it stays a zombie: exited, yet known to the kernel by its pid, as a
// crashed provider is until Terraform waits for it. It returns the pid
// once /proc shows the zombie state, and reaps the child when the test
// ends. Tests skip where /proc cannot show process states.
func StartZombie(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting a child process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Wait() })
	AwaitZombie(t, cmd.Process.Pid)
	return cmd.Process.Pid
}

// AwaitZombie returns once pid, a child of this process that has exited
// or been killed, is an unreaped zombie. It polls /proc because the exit
// is the child's own doing; the bound only keeps a broken test from
// hanging.
func AwaitZombie(t *testing.T, pid int) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("process states are read from /proc, which this system lacks")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		state := procStateOf(pid)
		if state == "Z" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d is in state %q, not a zombie, after 30s", pid, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// procStateOf is field 3 of /proc/PID/stat, after the command name in
// parentheses, or "" when the process is unknown.
func procStateOf(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	stat := string(raw)
	fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
