package provider

import (
	"context"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// withoutErrorDiagnostic matches text with no "Error:" in it.
const withoutErrorDiagnostic = `(?:[^E]|E(?:[^r]|r(?:[^r]|r(?:[^o]|o(?:[^r]|r[^:])))))*(?:E|Er|Err|Erro|Error)?`

// onlyDiagnosticRegexp is diagnosticRegexp for a plan whose output holds
// exactly this one error and no other.
func onlyDiagnosticRegexp(summary string, fragments ...string) *regexp.Regexp {
	pattern := `(?s)\A` + withoutErrorDiagnostic + `Error: ` + wordsPattern(summary)
	for _, fragment := range fragments {
		pattern += withoutErrorDiagnostic + wordsPattern(fragment)
	}
	return regexp.MustCompile(pattern + withoutErrorDiagnostic + `\z`)
}

func TestOnlyDiagnosticRegexp(t *testing.T) {
	t.Parallel()
	one := "Error running plan: exit status 1\n\nError: Invalid Duration\n\n  with x,\n  bake = \"abc\"\n\nnot a duration\n"
	two := one + "\nError: Invalid Time Duration String Value\n\ntime: invalid duration \"abc\"\n"
	re := onlyDiagnosticRegexp("Invalid Duration", `bake = "abc"`, "not a duration")
	if !re.MatchString(one) {
		t.Error("one error did not match")
	}
	if re.MatchString(two) {
		t.Error("two errors matched")
	}
}

// TestAccValidation_invalidDurationIsOneError: "abc" is one error, on the
// attribute, in words without framework artefacts, whichever duration it is.
func TestAccValidation_invalidDurationIsOneError(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	step := func(body, line, detail string) resource.TestStep {
		return resource.TestStep{
			Config:      catalogueConfig(store, badInput{body: body}),
			PlanOnly:    true,
			ExpectError: onlyDiagnosticRegexp("Invalid Duration", line, detail),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			step(canaryStep(`"abc"`), `bake = "abc"`, `canary.step[0].bake is "abc", which is not a duration. Write a number with a unit, such as "30s", "5m" or "1h30m" (units: "ms", "s", "m", "h"); it must be greater than 0.`),
			step(`progress_deadline = "abc"`, `progress_deadline = "abc"`, `progress_deadline is "abc", which is not a duration.`),
			step(timeoutsWith(`update = "abc"`), `update = "abc"`, `timeouts.update is "abc", which is not a duration.`),
		},
	})
}

// TestPromotionChecksWarnWhenUnknown: a rule that cannot be checked yet is
// a warning, never an error or silence.
func TestPromotionChecksWarnWhenUnknown(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	validatePlannedPromotion(context.Background(), nil, &promotionModel{
		Deployment: types.StringUnknown(), Phase: types.StringNull(), Release: types.StringValue("api@2"),
	}, &diags)
	if len(diags) != 1 || diags.HasError() || diags[0].Summary() != "Promotion Not Checked" {
		t.Errorf("unknown deployment: got %v, want one Promotion Not Checked warning", diags)
	}
	diags = nil
	validatePlannedPromotion(context.Background(), nil, &promotionModel{
		Deployment: types.StringValue("api/prod0"), Phase: types.StringNull(), Release: types.StringValue("api@2"),
	}, &diags)
	if len(diags) != 0 {
		t.Errorf("matching packages: got %v, want nothing", diags)
	}
}
