package components

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// outputsOf returns a component's outputs keyed by their `pulumi:"..."` field tags. The tags on the component's
// struct are the one declaration of its outputs: RegisterResourceOutputs and the stack exports both come from
// here, and a test keeps the README's output tables in step.
func outputsOf(component any) pulumi.Map {
	v := reflect.ValueOf(component).Elem()
	out := pulumi.Map{}
	for i := range v.NumField() {
		name, ok := v.Type().Field(i).Tag.Lookup("pulumi")
		if !ok || name == "" {
			continue
		}
		if o, ok := v.Field(i).Interface().(pulumi.Output); ok {
			out[name] = o
		}
	}
	return out
}
