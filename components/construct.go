package components

// What every constructor is made of: its outputs, declared once, and its list of named steps.

import (
	"fmt"
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

// step is one named step of a constructor: a constructor is the list of its steps.
type step struct {
	what string
	run  func() error
}

// runSteps runs a constructor's steps in order and names the component and the step in the first error.
func runSteps(kind, name string, steps []step) error {
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("%s %q: %s: %w", kind, name, s.what, err)
		}
	}
	return nil
}
