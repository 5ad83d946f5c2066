package provider

import (
	"fmt"
	"regexp"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// rolledBackReleaseWarning is the detail of the warning after a fast
// rollback: the configuration still names the withdrawn release, so the
// next plan proposes it again. Setting the deployment's release back is the
// fix, unless that release is shared: releases are usually one
// ocuroot_release referenced by every environment's deployment, and
// changing it would roll the others back too. For that case it names the
// way out: a release of the deployment's own, pinned until the fix ships.
func rolledBackReleaseWarning(deploymentID, live, withdrawn string) string {
	pkg, env, _ := domain.ParseDeploymentID(deploymentID)
	_, version, _ := domain.ParseReleaseID(live)
	pinned := pkg + "_v" + nonIdentifier.ReplaceAllString(version, "_")
	return fmt.Sprintf("%[1]s serves %[2]s again; %[3]s is withdrawn. Its ocuroot_deployment still names %[3]s, so the next plan "+
		"proposes rolling %[3]s out again: before the next apply, set that deployment's release to %[2]s, or to a release with the fix.\n\n"+
		"If other deployments share that release (release = ocuroot_release.%[4]s.id in staging and in prod, say), changing it rolls them "+
		"back too. Pin this deployment to a release of its own instead: declare ocuroot_release \"%[5]s\" with package = %[4]q, "+
		"version = %[6]q and one phase holding %[7]s, set release = ocuroot_release.%[5]s.id on this deployment only (the plan shows "+
		"no change to it, since %[2]s is what it runs), and point it back at the shared release once the fix ships.",
		deploymentID, live, withdrawn, pkg, pinned, version, env)
}

// nonIdentifier matches what a Terraform resource name cannot hold.
var nonIdentifier = regexp.MustCompile(`[^A-Za-z0-9_-]`)
