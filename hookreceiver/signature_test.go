package hookreceiver_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// TestSignMatchesAnIndependentVector: the expected value was computed with
// Python's hmac module, so receivers in other languages can check their
// implementation against the same vector.
func TestSignMatchesAnIndependentVector(t *testing.T) {
	got := hookreceiver.Sign("whsec-test", "1700000000", []byte(`{"type":"deploy"}`))
	want := "sha256=cb725692e3496bd64f70e062aea174856e57b95739e1f063da6fcf406e0b7cfe"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestFormatTimestampIsUnixSeconds(t *testing.T) {
	at := time.Date(2023, 11, 14, 23, 13, 20, 999_000_000, time.FixedZone("CET", 3600))
	if got := hookreceiver.FormatTimestamp(at); got != "1700000000" {
		t.Errorf("FormatTimestamp = %s, want 1700000000 (whole seconds, zone ignored)", got)
	}
}

// TestEventJSONFieldNames pins the wire names the hook contract guide
// documents: the sender and the receivers share this type, so a renamed
// tag would pass every round trip and still break receivers in other
// languages.
func TestEventJSONFieldNames(t *testing.T) {
	full := hookreceiver.Event{
		Type: hookreceiver.EventRollback, Package: "api", Environment: "prod-eu-1",
		EnvironmentAttributes: map[string]string{"region": "eu"}, Release: "api@1.5.0", Version: "1.5.0",
		PreviousRelease: "api@1.4.2", Weight: 0, Slot: hookreceiver.SlotCanary, Attempt: 2,
		RolloutID: "api@1.5.0-2-9f1c2a", Step: 3, Reason: "health check failed",
		Time: time.Date(2026, 3, 2, 9, 15, 4, 210_000_000, time.UTC),
	}
	got, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"rollback","package":"api","environment":"prod-eu-1","environment_attributes":{"region":"eu"},` +
		`"release":"api@1.5.0","version":"1.5.0","previous_release":"api@1.4.2","weight":0,"slot":"canary",` +
		`"attempt":2,"rollout_id":"api@1.5.0-2-9f1c2a","step":3,"reason":"health check failed","time":"2026-03-02T09:15:04.21Z"}`
	if string(got) != want {
		t.Errorf("a full event encodes as\n%s\nwant\n%s", got, want)
	}

	// The optional fields are left out when empty; environment_attributes
	// never is (the provider sends {} for an environment without any).
	minimal, err := json.Marshal(hookreceiver.Event{Type: hookreceiver.EventTeardown, Package: "api", Environment: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	wantMinimal := `{"type":"teardown","package":"api","environment":"dev","environment_attributes":null,"release":"","version":"",` +
		`"weight":0,"attempt":0,"rollout_id":"","step":0,"time":"0001-01-01T00:00:00Z"}`
	if string(minimal) != wantMinimal {
		t.Errorf("a minimal event encodes as\n%s\nwant\n%s", minimal, wantMinimal)
	}
}
