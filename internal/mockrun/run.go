package mockrun

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Options configure one mock run.
type Options struct {
	Project string // default "aws-foundation"
	Stack   string // default "test"
	// Config holds fully qualified keys ("aws-foundation:vpcCidr", "aws:region"); lists and maps as JSON.
	Config map[string]string
	// DryRun runs as `pulumi preview` does.
	DryRun bool
	// AvailableZones overrides what getAvailabilityZones answers.
	AvailableZones []string
}

// Export is one resolved stack output.
type Export struct {
	Value  any
	Known  bool
	Secret bool
}

// Result is everything a run registered, invoked and exported.
type Result struct {
	Stack     string
	Config    map[string]string // the configuration the run was given
	Resources []Resource
	Invokes   []Invoke
	Exports   map[string]Export
	Mocks     *Mocks
}

// Run runs fn under mocks and returns what it did. The Result is returned even when fn fails, so callers can
// check that nothing was registered.
func Run(fn pulumi.RunFunc, o Options) (*Result, error) {
	if o.Project == "" {
		o.Project = "aws-foundation"
	}
	if o.Stack == "" {
		o.Stack = "test"
	}
	m := NewMocks(o.Project, o.Stack, o.Config["aws:region"])
	if o.AvailableZones != nil {
		m.AvailableZones = o.AvailableZones
	}
	var exported map[string]pulumi.Input
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		err := fn(ctx)
		exported = ctx.GetCurrentExportMap()
		return err
	}, pulumi.WithMocks(o.Project, o.Stack, m), func(info *pulumi.RunInfo) {
		info.Config = o.Config
		info.DryRun = o.DryRun
	})
	res := &Result{Stack: o.Stack, Config: o.Config, Resources: m.Resources(), Invokes: m.Invokes(), Exports: map[string]Export{}, Mocks: m}
	if err != nil {
		return res, err
	}
	for k, in := range exported {
		out, ok := in.(pulumi.Output)
		if !ok {
			res.Exports[k] = Export{Value: in, Known: true}
			continue
		}
		r, aerr := internals.UnsafeAwaitOutput(context.Background(), out)
		if aerr != nil {
			return res, fmt.Errorf("export %q: %w", k, aerr)
		}
		res.Exports[k] = Export{Value: r.Value, Known: r.Known, Secret: r.Secret}
	}
	return res, nil
}

// AWS returns the recorded custom resources (no components, providers or stack).
func (r *Result) AWS() []Resource {
	var out []Resource
	for _, x := range r.Resources {
		if x.Custom && !IsProviderOrStack(x.Type) {
			out = append(out, x)
		}
	}
	return out
}

// OfType returns the recorded resources of one type token, in registration order.
func (r *Result) OfType(typ string) []Resource {
	var out []Resource
	for _, x := range r.Resources {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// One returns the single resource of a type with a logical name, or an error naming what exists.
func (r *Result) One(typ, name string) (Resource, error) {
	var names []string
	for _, x := range r.OfType(typ) {
		if x.Name == name {
			return x, nil
		}
		names = append(names, x.Name)
	}
	sort.Strings(names)
	return Resource{}, fmt.Errorf("no %s named %q; have %v", typ, name, names)
}

// ByID returns the custom resource of a type whose id is id.
func (r *Result) ByID(typ, id string) (Resource, bool) {
	for _, x := range r.OfType(typ) {
		if x.ID == id && id != "" {
			return x, true
		}
	}
	return Resource{}, false
}

// Str returns a string input, or "" when it is absent or not a known string.
func (x Resource) Str(key string) string {
	return str(x.Inputs, key)
}

// Out returns a string output the mock answered (an id, an ARN), or "".
func (x Resource) Out(key string) string {
	return str(x.Outputs, key)
}

func str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	for v.IsSecret() || v.IsOutput() {
		if v.IsSecret() {
			v = v.SecretValue().Element
		} else {
			v = v.OutputValue().Element
		}
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Value returns an input as plain Go values (maps, slices, strings, float64, bool), or nil.
func (x Resource) Value(key string) any {
	v, ok := x.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return v.Mappable()
}

// Has says whether an input is set.
func (x Resource) Has(key string) bool {
	v, ok := x.Inputs[resource.PropertyKey(key)]
	return ok && !v.IsNull()
}

// Strs returns a list input of strings.
func (x Resource) Strs(key string) []string {
	v, ok := x.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// JSON parses a string input that holds a JSON document (a policy) into plain Go values.
func (x Resource) JSON(key string) (map[string]any, error) {
	s := x.Str(key)
	if s == "" {
		return nil, fmt.Errorf("%s %q: input %q is empty or unknown", x.Type, x.Name, key)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return nil, fmt.Errorf("%s %q: input %q is not JSON: %w", x.Type, x.Name, key, err)
	}
	return doc, nil
}

// DependsOn says whether x lists the URN as a dependency.
func (x Resource) DependsOn(urn string) bool {
	for _, d := range x.Dependencies {
		if d == urn {
			return true
		}
	}
	return false
}

// String names the resource for failure messages.
func (x Resource) String() string {
	return fmt.Sprintf("%s %q", strings.TrimPrefix(x.Type, "aws:"), x.Name)
}
