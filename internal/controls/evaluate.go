package controls

import (
	"slices"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Status of a control in one stack.
type Status string

// Statuses.
const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Accepted      Status = "accepted" // every finding is covered by an exception
	NotApplicable Status = "n/a"
)

// AcceptedFinding is a finding covered by an exception.
type AcceptedFinding struct {
	Finding   Finding
	Exception string
}

// Outcome is one control's result in one stack.
type Outcome struct {
	Control  Control
	Status   Status
	Failures []Finding
	Accepted []AcceptedFinding
}

// Evaluate runs every control over a stack's recorded resources.
func Evaluate(r *mockrun.Result) []Outcome {
	var out []Outcome
	for _, c := range Controls {
		o := Outcome{Control: c, Status: NotApplicable}
		if slices.ContainsFunc(c.Types, func(t string) bool { return len(r.OfType(t)) > 0 }) {
			o.Status = Pass
			for _, f := range c.Check(r) {
				if ex := acceptingException(r, c.ID, f); ex != "" {
					o.Accepted = append(o.Accepted, AcceptedFinding{Finding: f, Exception: ex})
				} else {
					o.Failures = append(o.Failures, f)
				}
			}
			switch {
			case len(o.Failures) > 0:
				o.Status = Fail
			case len(o.Accepted) > 0:
				o.Status = Accepted
			}
		}
		out = append(out, o)
	}
	return out
}

func acceptingException(r *mockrun.Result, control string, f Finding) string {
	for _, e := range Exceptions {
		if e.Control == control && e.Accepts != nil && e.Accepts(r, f) {
			return e.ID
		}
	}
	return ""
}

// StandingExceptions returns the exceptions that apply to a stack.
func StandingExceptions(r *mockrun.Result) []Exception {
	var out []Exception
	for _, e := range Exceptions {
		if e.AppliesTo(r) {
			out = append(out, e)
		}
	}
	return out
}

// Failed returns the ids of the controls that fail.
func Failed(outcomes []Outcome) []string {
	var ids []string
	for _, o := range outcomes {
		if o.Status == Fail {
			ids = append(ids, o.Control.ID)
		}
	}
	return ids
}
