package components

import (
	"fmt"
	"strings"
)

// ArgProblem is one thing wrong with one argument of a component.
type ArgProblem struct {
	// Arg is the Args field the problem is about, for example "VpcCidr" or "AvailabilityZones".
	Arg string
	// Problem says what is wrong and what is allowed.
	Problem string
}

// ValidationError lists every problem found in a component's arguments, so that a user fixes them all in one go.
type ValidationError struct {
	// Component is the component type, for example "Network".
	Component string
	Problems  []ArgProblem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s arguments (%d problems):", e.Component, len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  - %s: %s", p.Arg, p.Problem)
	}
	return b.String()
}

// problems collects validation problems for one component.
type problems struct {
	component string
	list      []ArgProblem
}

func (p *problems) add(arg, format string, args ...any) {
	p.list = append(p.list, ArgProblem{Arg: arg, Problem: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was added, else a *ValidationError.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Component: p.component, Problems: p.list}
}
