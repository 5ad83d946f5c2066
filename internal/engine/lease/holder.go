package lease

import (
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"
)

// Holder says who runs an operation, in terms an operator can act on: which
// user on which machine, which process, and which Terraform Cloud run.
type Holder struct {
	User string `json:"user,omitempty"`
	Host string `json:"host,omitempty"`
	PID  int    `json:"pid,omitempty"`
	// PIDNamespace tells processes apart that share a host name but not
	// a process table (containers on the host network): a pid is only
	// checked for liveness inside the namespace it was recorded in.
	PIDNamespace string `json:"pid_namespace,omitempty"`
	// TerraformCloudRun is TFC_RUN_ID when the run is a Terraform Cloud one.
	TerraformCloudRun string `json:"terraform_cloud_run,omitempty"`
}

// CurrentHolder describes this process. Every part is best effort: a
// sandbox without a user database or host name still gets a usable value.
func CurrentHolder() Holder {
	h := Holder{User: currentUser(), PID: os.Getpid(), PIDNamespace: pidNamespace(), TerraformCloudRun: os.Getenv("TFC_RUN_ID")}
	if host, err := os.Hostname(); err == nil {
		h.Host = host
	}
	return h
}

// String is the readable form shown in leases and errors, e.g.
// "alice@ci-runner-3 pid 4242 (Terraform Cloud run run-abc)".
func (h Holder) String() string {
	var b strings.Builder
	b.WriteString(h.userAtHost())
	if h.PID > 0 {
		fmt.Fprintf(&b, " pid %d", h.PID)
	}
	if h.TerraformCloudRun != "" {
		fmt.Fprintf(&b, " (Terraform Cloud run %s)", h.TerraformCloudRun)
	}
	return b.String()
}

// Actor names the person or run behind an action, for records such as a
// promotion's "by": the Terraform Cloud run when there is one, otherwise
// user@host. Unlike String it leaves out the process id.
func (h Holder) Actor() string {
	if h.TerraformCloudRun != "" {
		return "Terraform Cloud run " + h.TerraformCloudRun
	}
	return h.userAtHost()
}

func (h Holder) userAtHost() string {
	switch {
	case h.User != "" && h.Host != "":
		return h.User + "@" + h.Host
	case h.User != "":
		return h.User
	case h.Host != "":
		return "unknown-user@" + h.Host
	default:
		return "unknown-user"
	}
}

// IsDead reports whether the holder certainly no longer runs: it ran on this
// machine, in this process table, and its process has exited (its pid is
// gone, or names a zombie nobody has reaped yet). Anything else (another
// machine, an unknown pid, a platform without the check) counts as alive, so
// a lease is only ever taken early from a process that cannot renew it.
func (h Holder) IsDead(self Holder) bool {
	if h.PID <= 0 || h.Host == "" || h.Host != self.Host || h.PIDNamespace != self.PIDNamespace {
		return false
	}
	if h.PID == self.PID {
		return false
	}
	return !processExists(h.PID)
}

// currentUser prefers $USER (set by shells and CI runners) over the user
// database, which is missing in many containers.
func currentUser() string {
	for _, name := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// FormatSince renders a lease timestamp for people: UTC, to the second.
func FormatSince(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
