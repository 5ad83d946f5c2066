package main

import (
	"regexp"
	"strings"
)

// consoleFilter picks the lines of terraform's output that the console
// shows; the log file gets every line. It keeps what tells the story of an
// act: what each deployment's rollout will do (rollout_plan), the resources
// changing, the plan and apply summaries, and every warning and error, but
// the development-overrides warning only the first time. It drops the rest
// of the plan, the refreshes and the outputs.
//
// One filter serves the whole demo (it remembers whether the overrides
// warning was shown); start resets it for each terraform command.
type consoleFilter struct {
	overridesShown bool

	// The diagnostic being read, if any: boxed (color output, between ╷
	// and ╵) or plain (-no-color, until the next section starts).
	inDiagnostic bool
	boxed        bool
	showing      bool
	// openingBox holds a "╷" line until the next line says whether a
	// diagnostic follows.
	openingBox *string
	// resourceHeader is the latest "# ocuroot_deployment.x will be ..."
	// line, shown with the rollout_plan line under it.
	resourceHeader string
}

var (
	ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	// A diagnostic's first line, also inside a box: "│ Warning: Summary".
	diagnosticHeader = regexp.MustCompile(`^(│ )?(Warning|Error): `)
	// A resource's status line: `ocuroot_release.api: Creating...`.
	resourceStatus = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[^\s:]+: `)
	resourceChange = regexp.MustCompile(`: (Creating|Modifying|Destroying|Creation complete|Modifications complete|Destruction complete|Still [a-z]+)`)
	// Terraform's section openers, which also end a plain diagnostic.
	sectionStart     = regexp.MustCompile(`^(Terraform used the selected providers|Terraform will perform|Plan: |Apply complete!|Destroy complete!|No changes\.|Changes to Outputs:|Outputs:)`)
	summaryLine      = regexp.MustCompile(`^(Plan: |Apply complete!|Destroy complete!|No changes\.)`)
	deploymentHeader = regexp.MustCompile(`^\s+# ocuroot_deployment\.\S+ will be `)
	rolloutPlanLine  = regexp.MustCompile(`^\s+[~+] rollout_plan\s+= `)
)

const overridesSummary = "Provider development overrides are in effect"

// stripANSI removes terminal color codes, for matching and for the log.
func stripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }

// start prepares for the output of a new terraform command.
func (f *consoleFilter) start() {
	f.inDiagnostic, f.boxed, f.showing, f.openingBox, f.resourceHeader = false, false, false, nil, ""
}

// lines returns the console lines for one line of output (with its color
// codes): none, the line itself, or a held line before it.
func (f *consoleFilter) lines(raw string) []string {
	plain := stripANSI(raw)
	if f.openingBox != nil {
		opening := *f.openingBox
		f.openingBox = nil
		if diagnosticHeader.MatchString(plain) {
			f.startDiagnostic(plain, true)
			return f.keep(opening, raw)
		}
	}
	if f.inDiagnostic {
		if f.boxed {
			if strings.TrimSpace(plain) == "╵" {
				f.inDiagnostic = false
			}
			return f.keep(raw)
		}
		if !diagnosticHeader.MatchString(plain) && !resourceStatus.MatchString(plain) && !sectionStart.MatchString(plain) {
			return f.keep(raw)
		}
		f.inDiagnostic = false // a new section: judge the line below
	}
	switch {
	case strings.TrimSpace(plain) == "╷":
		f.openingBox = &raw
		return nil
	case diagnosticHeader.MatchString(plain):
		f.startDiagnostic(plain, false)
		return f.keep("", raw) // terraform's blank line before it was dropped
	case resourceStatus.MatchString(plain):
		if resourceChange.MatchString(plain) {
			return []string{raw}
		}
		return nil
	case strings.HasPrefix(plain, "Apply complete!") || strings.HasPrefix(plain, "Destroy complete!"):
		return []string{"", raw}
	case summaryLine.MatchString(plain):
		return []string{raw}
	case deploymentHeader.MatchString(plain):
		f.resourceHeader = raw
		return nil
	case rolloutPlanLine.MatchString(plain) && f.resourceHeader != "":
		header := f.resourceHeader
		f.resourceHeader = ""
		return []string{header, raw}
	}
	return nil
}

// startDiagnostic begins a diagnostic block; only the first development
// overrides warning is shown.
func (f *consoleFilter) startDiagnostic(header string, boxed bool) {
	f.inDiagnostic, f.boxed = true, boxed
	f.showing = true
	if strings.Contains(header, overridesSummary) {
		f.showing = !f.overridesShown
		f.overridesShown = true
	}
}

// keep returns the lines when the current diagnostic is shown.
func (f *consoleFilter) keep(lines ...string) []string {
	if !f.showing {
		return nil
	}
	return lines
}
