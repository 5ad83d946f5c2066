package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// durationType is timetypes.GoDurationType with one difference: its values
// do not validate themselves. timetypes reports an unparsable value with a
// message that shows a literal "\n\nGiven Value:", and every duration
// attribute here carries a durationRule validator that reports it (and the
// attribute's range) in one readable error instead. Semantic equality
// ("60s" equals "1m") is timetypes' own.
type durationType struct {
	basetypes.StringType
}

var (
	_ basetypes.StringTypable                    = durationType{}
	_ basetypes.StringValuableWithSemanticEquals = durationValue{}
)

func (t durationType) String() string { return "provider.durationType" }

func (t durationType) Equal(o attr.Type) bool {
	_, ok := o.(durationType)
	return ok
}

func (t durationType) ValueType(context.Context) attr.Value { return durationValue{} }

func (t durationType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return durationValue{GoDuration: timetypes.GoDuration{StringValue: in}}, nil
}

func (t durationType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	value, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	stringValue, ok := value.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", value)
	}
	return durationValue{GoDuration: timetypes.GoDuration{StringValue: stringValue}}, nil
}

// durationValue is a duration attribute's value. ValueGoDuration and the
// null/unknown accessors come from timetypes.GoDuration.
type durationValue struct {
	timetypes.GoDuration
}

func (v durationValue) Type(context.Context) attr.Type { return durationType{} }

func (v durationValue) Equal(o attr.Value) bool {
	other, ok := o.(durationValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// ValidateAttribute leaves the judgement to the attribute's durationRule,
// so an unparsable duration is reported once.
func (v durationValue) ValidateAttribute(context.Context, xattr.ValidateAttributeRequest, *xattr.ValidateAttributeResponse) {
}

// StringSemanticEquals keeps "60s" in the configuration equal to "1m" in
// state, as timetypes does.
func (v durationValue) StringSemanticEquals(ctx context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	other, ok := newValuable.(durationValue)
	if !ok {
		return false, nil
	}
	return v.GoDuration.StringSemanticEquals(ctx, other.GoDuration)
}
