package domain

// ResolvedSpec is a deployment spec with every default applied and every
// rule checked. Planning and the operations that send take one, so a spec
// that skipped its defaults or its rules cannot reach them: Resolve is the
// only way to make one outside the engine.
type ResolvedSpec struct {
	spec DeploymentSpec
}

// Resolve applies the defaults of every unset value, then checks the
// result against every rule of a spec (Validate). The error lists each
// rule broken.
func Resolve(spec DeploymentSpec) (ResolvedSpec, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return ResolvedSpec{}, err
	}
	return ResolvedSpec{spec: spec}, nil
}

// Spec returns the resolved spec, for reading: it shares the hook, the
// health check and the check lists with the resolved value, so a caller
// that changes them copies them first.
func (r ResolvedSpec) Spec() DeploymentSpec { return r.spec }
