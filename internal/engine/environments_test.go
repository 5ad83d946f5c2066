package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// TestDeleteEnvironmentRefusesWhileDeploymentsRun: the refusal names the
// live deployments as facts, and the environment stays registered until
// they are gone.
func TestDeleteEnvironmentRefusesWhileDeploymentsRun(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.seedLive(1)

	err := h.e.DeleteEnvironment(ctx, testEnv)
	var inUse *domain.EnvironmentInUseError
	if !errors.As(err, &inUse) || inUse.Environment != testEnv || !equalStrings(inUse.Deployments, []string{testDepID}) {
		t.Fatalf("err = %#v, want an EnvironmentInUseError naming %s", err, testDepID)
	}
	want := `environment "prod" still has 1 live deployment(s): api/prod. Destroy those deployments first`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	expectDomainWords(t, err.Error())
	if _, err := h.e.GetEnvironment(ctx, testEnv); err != nil {
		t.Errorf("the refused delete removed the environment: %v", err)
	}

	hook := testHook
	if err := h.e.Teardown(ctx, testPackage, testEnv, &hook); err != nil {
		t.Fatalf("tearing down %s: %v", testDepID, err)
	}
	if err := h.e.DeleteEnvironment(ctx, testEnv); err != nil {
		t.Fatalf("deleting the environment once its deployment is torn down: %v", err)
	}
	if _, err := h.e.GetEnvironment(ctx, testEnv); !records.IsNotFound(err) {
		t.Errorf("environment after delete: err = %v, want not found", err)
	}
}
