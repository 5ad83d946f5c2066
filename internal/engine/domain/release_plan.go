package domain

import (
	"fmt"
	"strings"
)

// Severity of a plan-time problem.
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
)

// PathStep is one element of an attribute path: a block or attribute name,
// optionally followed by a list index.
type PathStep struct {
	Name  string
	Index int // -1 when the step is not indexed
}

// Problem is a plan-time finding about a release, with the attribute path
// it concerns so the provider can point the user at the exact line.
type Problem struct {
	Severity Severity
	Path     []PathStep // empty: the whole resource
	Summary  string
	Detail   string
	// Code names the rule, for callers that treat one rule specially.
	Code ProblemCode
}

// ProblemCode identifies the rule a Problem comes from.
type ProblemCode string

// Problem codes of CheckReleaseFlow.
const (
	ProblemNoPhases           ProblemCode = "no_phases"
	ProblemInvalidName        ProblemCode = "invalid_name"
	ProblemDuplicatePhase     ProblemCode = "duplicate_phase"
	ProblemEmptyPhase         ProblemCode = "empty_phase"
	ProblemEnvironmentTwice   ProblemCode = "environment_in_two_phases"
	ProblemUnknownEnvironment ProblemCode = "unknown_environment"
)

func phasePath(phase int, rest ...PathStep) []PathStep {
	return append([]PathStep{{Name: "phase", Index: phase}}, rest...)
}

// ReleaseDraft is a release as the configuration describes it. Unknown marks
// values that are not known yet at plan time (computed elsewhere).
type ReleaseDraft struct {
	Package string
	Version string
	Phases  []PhaseDraft
}

// PhaseDraft is a phase whose environments may not be known yet.
type PhaseDraft struct {
	Name                string
	NameUnknown         bool
	Environments        []string
	EnvironmentsUnknown bool // the whole list is unknown
	RequiresApproval    bool
}

// CheckReleaseFlow reports problems with a release's phases. knownEnvs, when
// non-nil, is the set of environments the store knows; an environment not in
// it is an error. Unknown values are skipped, never guessed.
//
// Rules: at least one phase (error); phase names unique (error); an
// environment in at most one phase (error); a phase without environments
// (warning); names match the name pattern (error).
func CheckReleaseFlow(d ReleaseDraft, knownEnvs map[string]bool) []Problem {
	var problems []Problem
	if len(d.Phases) == 0 {
		return []Problem{{
			Severity: SeverityError,
			Summary:  "Release Has No Phases",
			Code:     ProblemNoPhases,
			Detail:   fmt.Sprintf("Release %s declares no phase block, so it could never be deployed anywhere. Add at least one phase { name = \"...\", environments = [...] }.", ReleaseID(d.Package, d.Version)),
		}}
	}
	phaseByName := map[string]int{}
	phaseOfEnv := map[string]int{}
	for i, p := range d.Phases {
		if !p.NameUnknown {
			if err := ValidateName("phase name", p.Name); err != nil {
				problems = append(problems, Problem{SeverityError, phasePath(i, PathStep{"name", -1}), "Invalid Phase Name", err.Error(), ProblemInvalidName})
			} else if first, dup := phaseByName[p.Name]; dup {
				problems = append(problems, Problem{SeverityError, phasePath(i, PathStep{"name", -1}), "Duplicate Phase Name",
					fmt.Sprintf("Phase name %q is used by phase %d and phase %d. Phase names identify phases in approvals and status, so each must be unique.", p.Name, first+1, i+1), ProblemDuplicatePhase})
			} else {
				phaseByName[p.Name] = i
			}
		}
		if p.EnvironmentsUnknown {
			continue
		}
		if len(p.Environments) == 0 {
			problems = append(problems, Problem{SeverityWarning, phasePath(i, PathStep{"environments", -1}), "Empty Phase",
				fmt.Sprintf("Phase %q selects no environment; it will be skipped. Check the for expression that selects its environments.", p.Name), ProblemEmptyPhase})
			continue
		}
		for j, env := range p.Environments {
			at := phasePath(i, PathStep{"environments", j})
			if err := ValidateName("environment", env); err != nil {
				problems = append(problems, Problem{SeverityError, at, "Invalid Environment Name", err.Error(), ProblemInvalidName})
				continue
			}
			if first, dup := phaseOfEnv[env]; dup {
				problems = append(problems, Problem{SeverityError, at, "Environment In Two Phases",
					fmt.Sprintf("Environment %q is in phase %q and again in phase %q. An environment belongs to at most one phase of a release; remove it from one of them.", env, d.Phases[first].Name, p.Name), ProblemEnvironmentTwice})
				continue
			}
			phaseOfEnv[env] = i
			if knownEnvs != nil && !knownEnvs[env] {
				problems = append(problems, Problem{SeverityError, at, "Unknown Environment",
					fmt.Sprintf("Environment %q is not registered.", env), ProblemUnknownEnvironment})
			}
		}
	}
	return problems
}

// PhaseOrderEntry is one phase in execution order.
type PhaseOrderEntry struct {
	Index            int // 1-based execution position
	Name             string
	Environments     []string
	RequiresApproval bool
}

// PhaseOrder returns the phases in execution order. Phases run strictly in
// declaration order; environments keep their declared order (an HCL for
// expression over a map already yields them sorted by key).
func PhaseOrder(phases []Phase) []PhaseOrderEntry {
	out := make([]PhaseOrderEntry, 0, len(phases))
	for i, p := range phases {
		out = append(out, PhaseOrderEntry{
			Index:            i + 1,
			Name:             p.Name,
			Environments:     append([]string{}, p.Environments...),
			RequiresApproval: p.RequiresApproval,
		})
	}
	return out
}

// MermaidGraph renders the flow of a release as Mermaid "graph LR" text:
// the release (commit) leads to the first phase, each phase fans out to its
// environments, and every environment of a phase leads to the next phase
// (the next phase opens only when all of them have the release live). An
// edge into a phase that requires approval is labelled "approval".
//
// Concrete example, release api@2 with phases staging → prod:
//
//	graph LR
//	  release(["api@2"])
//	  p1["1. staging"]
//	  release --> p1
//	  p1 --> p1e1("staging")
//	  p2["2. prod"]
//	  p1e1 --> p2
//	  p2 --> p2e1("prod1")
func MermaidGraph(pkg, version string, phases []Phase) string {
	var b strings.Builder
	b.WriteString("graph LR\n")
	fmt.Fprintf(&b, "  release([%q])\n", ReleaseID(pkg, version))
	previous := []string{"release"}
	for i, p := range phases {
		id := fmt.Sprintf("p%d", i+1)
		fmt.Fprintf(&b, "  %s[%q]\n", id, fmt.Sprintf("%d. %s", i+1, p.Name))
		arrow := "-->"
		if p.RequiresApproval {
			arrow = "-->|approval|"
		}
		for _, from := range previous {
			fmt.Fprintf(&b, "  %s %s %s\n", from, arrow, id)
		}
		envs := make([]string, 0, len(p.Environments))
		for j, env := range p.Environments {
			envID := fmt.Sprintf("%se%d", id, j+1)
			fmt.Fprintf(&b, "  %s --> %s(%q)\n", id, envID, env)
			envs = append(envs, envID)
		}
		if len(envs) == 0 {
			// An empty phase is skipped: the next phase follows the phase node.
			envs = []string{id}
		}
		previous = envs
	}
	return b.String()
}
