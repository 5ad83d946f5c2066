package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// A run with -refresh=false reads nothing back from the store or state
// before it plans: the promotion it applies has only the provider block and
// the stored rollout. terraform-plugin-testing cannot pass -refresh=false,
// so these tests drive terraform themselves (tfWorkspace).

// bringAPIToTheGate applies api@1, then api@2, which stops at its
// blue-green gate; each apply is a run of its own. It returns where the
// target's logs stood at the gate.
func bringAPIToTheGate(t *testing.T, w *tfWorkspace, target *demotarget.Target, configFor func(release string) string) (targetMark, string) {
	t.Helper()
	w.configure(configFor("1"))
	w.must("init", "-input=false", "-no-color")
	if out, ok := w.apply(); !ok {
		t.Fatalf("apply of api@1 failed:\n%s", out)
	}
	w.configure(configFor("2"))
	out, ok := w.apply()
	if !ok || !strings.Contains(out, "Deployment Awaiting Promotion") {
		t.Fatalf("apply of api@2 failed or did not stop at its gate:\n%s", out)
	}
	return markTarget(target), out
}

// TestAccCredentials_promotionWithoutRefresh: the ocuroot_promotion is
// applied with -refresh=false in a later run. Nothing was refreshed, yet
// the cutover and drain are signed with the payments secret and carry its
// header, and the pre-promotion check reads green's metrics with the
// metrics token: both come from the provider block.
func TestAccCredentials_promotionWithoutRefresh(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_11_0)
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	configFor := func(release string) string {
		return credentialsConfig(provider, release, namedCredentialBlocks(url), strategy)
	}
	gate, _ := bringAPIToTheGate(t, w, target, configFor)

	w.configure(configFor("2") + promoteAPI(`"api@2"`, ""))
	if out, ok := w.apply("-refresh=false"); !ok {
		t.Fatalf("the promotion applied with -refresh=false failed:\n%s", out)
	}
	checkNow(t, target, "the promotion without refresh",
		sentWithCredentials(&gate, []string{"cutover:100:green", "blue.drain:100:blue"}, demotarget.ProbeMetrics))
	expectStoredDeployment(t, store, domain.StatusSucceeded, "")
	if plan := w.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the promotion is not empty:\n%s", plan)
	}
}
