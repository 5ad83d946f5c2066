package engine

import (
	"context"
	"reflect"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// ListPackageDeployments reads one package's deployments, restored ones
// included, and never those of a package whose name merely starts the same.
func TestListPackageDeploymentsReadsOnlyThatPackage(t *testing.T) {
	ctx := context.Background()
	e := New(Options{Store: records.NewStore(store.NewMemoryKV())})
	for _, d := range []*domain.Deployment{
		{Package: "api", Environment: "prod1"},
		{Package: "api2", Environment: "prod0"},
		{Package: "ap", Environment: "i"},
		{Package: "api", Environment: "a-first"},
	} {
		if err := e.Store().SaveDeployment(ctx, d); err != nil {
			t.Fatalf("saving %s: %v", d.ID(), err)
		}
	}
	// A deployment known only from Terraform state counts as well.
	if _, err := e.SeedDeployment(ctx, SeedRequest{Spec: domain.DeploymentSpec{Package: "api", Environment: "prod0"}, LiveRelease: "api@1", Status: domain.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}

	got, err := e.Store().ListPackageDeployments(ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID())
	}
	if want := []string{"api/a-first", "api/prod0", "api/prod1"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("deployments of api = %v, want %v", ids, want)
	}
}
