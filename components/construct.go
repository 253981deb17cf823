package components

// What every constructor is made of: its outputs, declared once, and the scope its children are created in.

import (
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// outputsOf returns a component's outputs keyed by their `pulumi:"..."` field tags. The tags on the component's
// struct are the one declaration of its outputs: RegisterResourceOutputs and the stack exports both come from
// here, and `make docs` writes docs/COMPONENTS.md's output tables from them and their `doc:"..."` tags.
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

// scope is where a component creates its children: the program's context, the component's name (every child
// is named off it), the caller's tags and the parent option. It holds no state: each creation takes what it
// needs and returns what it made.
type scope struct {
	ctx    *pulumi.Context
	name   string
	tags   map[string]string
	parent pulumi.ResourceOrInvokeOption
}

// childTags are a child's tags: the caller's, under the child's Name and the extra key/value pairs.
func (s scope) childTags(name string, kv ...string) pulumi.StringMap {
	return childTags(s.tags, name, kv...)
}

// failed names the component and what it was doing in an error.
func failed(kind, name, what string, err error) error {
	return fmt.Errorf("%s %q: %s: %w", kind, name, what, err)
}
