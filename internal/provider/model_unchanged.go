package provider

import "reflect"

// Writing a whole model back with State.Set or Plan.Set goes through the
// framework's reflection, which costs more than anything else a refresh or
// a no-change plan does per resource (at a thousand deployments it is most
// of the provider's time). Read and ModifyPlan start from the framework's
// copy of the prior state or the proposed plan, so when the model they
// decoded comes out unchanged, writing it back would produce the same value
// and is skipped.

// modelUnchanged reports whether a model decoded from Terraform is still
// equal to that decoded copy. Framework values (types.String, types.Object,
// timeouts.Value, ...) are plain comparable data, so deep equality means
// they encode to the same Terraform value.
func modelUnchanged[M any](decoded, current *M) bool {
	return reflect.DeepEqual(decoded, current)
}
