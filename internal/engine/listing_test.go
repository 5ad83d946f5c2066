package engine

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// listingEngine returns an engine over a store holding two packages'
// deployments (one torn down, one rolled back) and releases (one archived),
// and the KV, which counts writes.
func listingEngine(t *testing.T) (*Engine, *writeCountingKV) {
	t.Helper()
	ctx := context.Background()
	kv := &writeCountingKV{KV: store.NewMemoryKV()}
	e := New(Options{Store: records.NewStore(kv)})
	for _, d := range []*domain.Deployment{
		{Package: "api", Environment: "prod1", LiveRelease: "api@1", Status: domain.StatusRolledBack,
			Rollout: &domain.Rollout{Release: "api@2", PreviousRelease: "api@1", State: domain.RolloutRolledBack}},
		{Package: "web", Environment: "prod0", LiveRelease: "web@1", PendingRelease: "web@2", Status: domain.StatusAwaitingPromotion, TrafficPercent: 0,
			Rollout: &domain.Rollout{Release: "web@2", PreviousRelease: "web@1", State: domain.RolloutAwaitingPromotion}},
		{Package: "api", Environment: "prod0", LiveRelease: "api@2", Status: domain.StatusSucceeded, TrafficPercent: 100,
			Rollout: &domain.Rollout{Release: "api@2", State: domain.RolloutSucceeded}},
		{Package: "api", Environment: "gone", LiveRelease: "api@1", Status: domain.StatusTornDown},
		{Package: "apix", Environment: "prod0", LiveRelease: "apix@1", Status: domain.StatusSucceeded, TrafficPercent: 100},
	} {
		if err := e.Store().SaveDeployment(ctx, d); err != nil {
			t.Fatalf("saving %s: %v", d.ID(), err)
		}
	}
	for _, rel := range []domain.Release{
		{Package: "web", Version: "2", CreatedAt: clockAt(3)},
		{Package: "api", Version: "10", CreatedAt: clockAt(2)},
		{Package: "api", Version: "9", CreatedAt: clockAt(1)},
		{Package: "api", Version: "1", CreatedAt: clockAt(0), Archived: true},
		{Package: "apix", Version: "1", CreatedAt: clockAt(0)},
	} {
		if err := e.Store().PutRelease(ctx, rel); err != nil {
			t.Fatalf("saving %s: %v", rel.ID(), err)
		}
	}
	kv.writes = 0
	return e, kv
}

// clockAt is testStart plus hours.
func clockAt(hours int) time.Time { return testStart.Add(time.Duration(hours) * time.Hour) }

func TestListDeploymentsFilters(t *testing.T) {
	e, kv := listingEngine(t)
	tests := []struct {
		name   string
		filter DeploymentFilter
		want   []string
	}{
		{"everything but the torn down", DeploymentFilter{}, []string{"api/prod0", "api/prod1", "apix/prod0", "web/prod0"}},
		{"one package, not one that merely starts the same", DeploymentFilter{Package: "api"}, []string{"api/prod0", "api/prod1"}},
		{"one environment", DeploymentFilter{Environment: "prod0"}, []string{"api/prod0", "apix/prod0", "web/prod0"}},
		{"package and environment", DeploymentFilter{Package: "api", Environment: "prod1"}, []string{"api/prod1"}},
		// api/prod1's rollout of api@2 was rolled back: adopted, it runs
		// api@1, succeeded.
		{"status as adopted", DeploymentFilter{Status: domain.StatusSucceeded}, []string{"api/prod0", "api/prod1", "apix/prod0"}},
		{"waiting at a gate", DeploymentFilter{Status: domain.StatusAwaitingPromotion}, []string{"web/prod0"}},
		{"nothing rolled back as adopted", DeploymentFilter{Status: domain.StatusRolledBack}, nil},
		{"no match", DeploymentFilter{Package: "db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.ListDeployments(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, d := range got {
				ids = append(ids, d.ID())
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("ListDeployments(%+v) = %v, want %v", tt.filter, ids, tt.want)
			}
		})
	}
	if kv.writes != 0 {
		t.Errorf("listing deployments wrote %d time(s) to the store", kv.writes)
	}
}

func TestListReleases(t *testing.T) {
	e, kv := listingEngine(t)
	tests := []struct {
		name            string
		pkg             string
		includeArchived bool
		want            []string
	}{
		{"every package, oldest first within one", "", false, []string{"api@9", "api@10", "apix@1", "web@2"}},
		{"one package", "api", false, []string{"api@9", "api@10"}},
		{"archived too", "api", true, []string{"api@1", "api@9", "api@10"}},
		{"no such package", "db", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.ListReleases(context.Background(), tt.pkg, tt.includeArchived)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, rel := range got {
				ids = append(ids, rel.ID())
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("ListReleases(%q, %v) = %v, want %v", tt.pkg, tt.includeArchived, ids, tt.want)
			}
		})
	}
	if kv.writes != 0 {
		t.Errorf("listing releases wrote %d time(s) to the store", kv.writes)
	}
}
