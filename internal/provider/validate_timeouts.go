package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// positiveTimeoutsBlock is timeouts.Block whose durations must be greater
// than 0: a timeout of "-5m" would cancel the operation before it starts.
// The block keeps the timeouts package's type, so timeouts.Value reads it;
// only the validator of each duration is ours (it reports an unparsable
// value as well, in the same words as every other duration).
func positiveTimeoutsBlock(ctx context.Context, opts timeouts.Opts) schema.Block {
	block, ok := timeouts.Block(ctx, opts).(schema.SingleNestedBlock)
	if !ok {
		return timeouts.Block(ctx, opts)
	}
	attributes := make(map[string]schema.Attribute, len(block.Attributes))
	for name, a := range block.Attributes {
		if s, isString := a.(schema.StringAttribute); isString {
			s.Validators = []validator.String{timeoutRule}
			s.MarkdownDescription = s.Description + " " + timeoutRule.describeRule()
			s.Description = ""
			a = s
		}
		attributes[name] = a
	}
	block.Attributes = attributes
	return block
}
