package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
)

// The engine speaks of releases, phases, environments, deployments,
// promotions and approvals. Its errors carry the facts as fields; this file
// words them for a Terraform user: which resource to declare, the exact
// ocuroot_promotion block to add, depends_on, the timeouts block.

// engineErrorText is err's message with every engine error it holds worded
// for Terraform. The engine error's own text is replaced where it stands,
// so a wrapping prefix or an error joined to it is kept.
func engineErrorText(err error) string {
	text := err.Error()
	for _, word := range terraformWordings {
		if domain, terraform, ok := word(err); ok {
			text = strings.Replace(text, domain, terraform, 1)
		}
	}
	return text
}

// A terraformWording finds one kind of engine error in err and returns its
// engine text and the text a Terraform user reads instead.
type terraformWording func(err error) (domain, terraform string, ok bool)

var terraformWordings = []terraformWording{
	gateErrorWording,
	waitEndedWording,
	rolloutErrorWording,
	notRegisteredWording,
	environmentInUseWording,
	missingCredentialWording,
	missingPrometheusWording,
}

func gateErrorWording(err error) (string, string, bool) {
	var gate *gate.GateError
	if !errors.As(err, &gate) {
		return "", "", false
	}
	if gate.Waited {
		return gate.Error(), waitEndedText(gate.Reason, gate.Err), true
	}
	advice := gateAdvice(gate.GateDecision)
	if advice == "" {
		return "", "", false
	}
	return gate.Error(), gate.Reason + ". " + advice, true
}

// gateAdvice says how to open a refused phase gate in the configuration;
// empty when the engine's own advice needs no Terraform words.
func gateAdvice(d gate.GateDecision) string {
	switch d.Cause {
	case gate.GateCauseEarlierPhaseIdle:
		return "Phases run in order: make this deployment depend on the deployments of the earlier phase (depends_on = [ocuroot_deployment.<earlier phase>]) " +
			"or declare one ocuroot_deployment resource block per phase, each depending on the one before"
	case gate.GateCausePromotionGate:
		blocks := make([]string, len(d.Gated))
		refs := make([]string, len(d.Gated))
		for i, g := range d.Gated {
			blocks[i], refs[i] = promotionToAdd(d.Package, g.Environment, g.DeploymentID, d.Release)
		}
		return fmt.Sprintf("Apply %s first, or in the same run with depends_on = [%s] on this deployment",
			strings.Join(blocks, " and "), strings.Join(refs, ", "))
	case gate.GateCauseApproval:
		return fmt.Sprintf("To approve it, apply an ocuroot_promotion { release = %q, phase = %q } first, or in the same run with depends_on on this deployment",
			d.Release, d.PhaseName)
	}
	return ""
}

func waitEndedWording(err error) (string, string, bool) {
	var wait *gate.WaitEndedError
	if !errors.As(err, &wait) {
		return "", "", false
	}
	return wait.Error(), waitEndedText(wait.Waiting, wait.Err), true
}

// waitEndedText is the engine's "gave up waiting for …" with, for a
// timeout, where the timeout is set.
func waitEndedText(waiting string, cause error) string {
	if !errors.Is(cause, context.DeadlineExceeded) {
		return (&gate.WaitEndedError{Waiting: waiting, Err: cause}).Error()
	}
	return fmt.Sprintf("gave up %s (%s; raise it in the resource's timeouts block if this wait is expected to take longer)",
		waiting, gate.WhyContextEnded(cause))
}

// rolloutErrorWording names the timeouts block when the operation's
// timeout interrupted a rollout: that is the timeout the engine means.
func rolloutErrorWording(err error) (string, string, bool) {
	var rollout *domain.RolloutError
	if !errors.As(err, &rollout) || !rollout.Interrupted || !rollout.Timeout {
		return "", "", false
	}
	worded := *rollout
	worded.Reason += " (Terraform timeouts block)"
	return rollout.Error(), worded.Error(), true
}

func notRegisteredWording(err error) (string, string, bool) {
	var missing *engine.NotRegisteredError
	if !errors.As(err, &missing) {
		return "", "", false
	}
	advice := "declare it with an ocuroot_environment resource and reference it"
	if missing.Kind == engine.KindRelease {
		advice = "declare it with an ocuroot_release resource and reference its id"
	}
	return missing.Error(), missing.Error() + ": " + advice, true
}

func environmentInUseWording(err error) (string, string, bool) {
	var inUse *domain.EnvironmentInUseError
	if !errors.As(err, &inUse) {
		return "", "", false
	}
	return inUse.Error(), inUse.Error() + " (reference the environment from each ocuroot_deployment so Terraform destroys them before the environment)", true
}

func missingCredentialWording(err error) (string, string, bool) {
	var missing *domain.MissingCredentialError
	if !errors.As(err, &missing) {
		return "", "", false
	}
	return missing.Error(), missingCredentialText(missing), true
}

// missingCredentialText says which credential a later run lacks and how to
// give every run the same credentials: through the provider block.
func missingCredentialText(m *domain.MissingCredentialError) string {
	if m.Credential != "" {
		return fmt.Sprintf("The %s block of ocuroot_deployment %s names credential %q, which this run's provider \"ocuroot\" block does not define. "+
			"Nothing was sent and no traffic moved: the deployment stays where it is. "+
			"Add it to the provider block (credentials = { %s = { headers = { ... } } }) in the configuration this run uses, then apply again.",
			m.Block, m.Deployment, m.Credential, m.Credential)
	}
	return fmt.Sprintf("The %s block of ocuroot_deployment %s sets its own %s, and this run does not have it: "+
		"the engine never stores those values, and only the run that applied the deployment read them from its configuration. "+
		"Nothing was sent and no traffic moved: the deployment stays where it is, and no other secret or missing header was used instead. "+
		"To give every run (promotions, actions, resumed rollouts, destroys) the same credentials, move the value to the provider block, "+
		"credentials = { NAME = { hook_secret = ..., headers = { ... } } }, set credential = \"NAME\" in the %s block in place of its own value, "+
		"apply (the deployment takes the new setting without rolling out again), then run this again.",
		m.Block, m.Deployment, m.DescribeOwn("secret (secret or secret_wo)"), m.Block)
}

// problemDetail is the detail of a plan-time finding about a release, with
// the Terraform advice its rule calls for.
func problemDetail(problem domain.Problem) string {
	if problem.Code != domain.ProblemUnknownEnvironment {
		return problem.Detail
	}
	return problem.Detail + " Declare it with an ocuroot_environment resource (and reference that resource so it is created first)." +
		" If the environment is declared in this configuration, select it from the resource, for example " +
		"`environments = [for e in ocuroot_environment.all : e.name]` (or add `depends_on`), so that it is planned before this release."
}

// promotionToAdd is the ocuroot_promotion resource that promotes release
// in the deployment PACKAGE/ENVIRONMENT, ready to paste into the
// configuration, and the reference a depends_on names it by.
func promotionToAdd(pkg, env, deploymentID, release string) (block, ref string) {
	name := promotionResourceName(pkg, env)
	return fmt.Sprintf("resource \"ocuroot_promotion\" %q { deployment = %q, release = %q }", name, deploymentID, release),
		"ocuroot_promotion." + name
}

// promotionResourceName suggests a resource name for the promotion of a
// package in an environment: "web_canary". Environment names may hold
// dots, which resource names may not, and a resource name starts with a
// letter or an underscore.
func promotionResourceName(pkg, env string) string {
	name := []byte(pkg + "_" + env)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			name[i] = '_'
		}
	}
	if c := name[0]; c >= '0' && c <= '9' || c == '-' {
		return "promote_" + string(name)
	}
	return string(name)
}

// addSpecErrorDiagnostic words a rule of the spec the engine refused on the
// attribute to fix. The canary's missing steps go on a line the
// configuration has, which Terraform can show: the canary block when there
// is one, else the strategy that asks for it.
func addSpecErrorDiagnostic(se *domain.SpecError, m *deploymentModel, diags *diag.Diagnostics) {
	switch se.Rule {
	case domain.SpecRuleCanaryStepsMissing:
		at := path.Root("strategy")
		if m.Canary != nil {
			at = path.Root("canary").AtName("step")
		}
		diags.AddAttributeError(at, "Canary Steps Missing",
			"strategy = \"canary\" needs a canary block with at least one step, e.g. canary { step { weight = 10, bake = \"5m\" } }.")
	case domain.SpecRuleWeightsDecrease:
		diags.AddAttributeError(specErrorPath(se), "Canary Weights Decrease",
			fmt.Sprintf("Step %d has weight %d, lower than the %d of the step before. Canary weights must not decrease.", se.Index+1, se.Value, se.Previous))
	default:
		diags.AddAttributeError(specErrorPath(se), "Invalid Deployment Settings", sentence(se.Error()))
	}
}

// specAttributeNames are the engine's field names that the schema spells
// otherwise: the schema names a block by one of its elements.
var specAttributeNames = map[string]string{"steps": "step"}

// specErrorPath is the attribute path of the field a SpecError names:
// "canary.steps[].weight" at index 1 is canary.step[1].weight.
func specErrorPath(se *domain.SpecError) path.Path {
	var at path.Path
	for i, name := range strings.Split(se.Field, ".") {
		list := strings.HasSuffix(name, "[]")
		name = strings.TrimSuffix(name, "[]")
		if tf, ok := specAttributeNames[name]; ok {
			name = tf
		}
		if i == 0 {
			at = path.Root(name)
		} else {
			at = at.AtName(name)
		}
		if list && se.Index >= 0 {
			at = at.AtListIndex(se.Index)
		}
	}
	if se.Key != "" {
		at = at.AtMapKey(se.Key)
	}
	return at
}
