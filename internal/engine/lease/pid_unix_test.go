//go:build unix

package lease

import (
	"os"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// TestProcessExistsIsFalseForAZombie: a child that has exited but is not
// yet reaped still answers signal 0; it must count as gone all the same.
func TestProcessExistsIsFalseForAZombie(t *testing.T) {
	zombie := enginetest.StartZombie(t)
	if processExists(zombie) {
		t.Errorf("processExists(%d) = true for a zombie", zombie)
	}
	if !processExists(os.Getpid()) || !processExists(os.Getppid()) {
		t.Errorf("processExists is false for this process (%d) or its parent (%d)", os.Getpid(), os.Getppid())
	}
}

func TestParseProcState(t *testing.T) {
	for _, tc := range []struct {
		stat  string
		state byte
		ok    bool
	}{
		{"4242 (terraform-provi) S 4200 4242 4200 0 -1", 'S', true},
		{"4243 (true) Z 4242 4243 4200 0 -1", 'Z', true},
		{"4244 (odd ) name) X 1 4244", 'X', true},
		{"4245 (a (b) c) R 1", 'R', true},
		{"garbage", 0, false},
		{"4246 (cut)", 0, false},
	} {
		state, ok := parseProcState(tc.stat)
		if state != tc.state || ok != tc.ok {
			t.Errorf("parseProcState(%q) = %q, %v; want %q, %v", tc.stat, state, ok, tc.state, tc.ok)
		}
	}
}
