// Package iampolicy reads policy documents in AWS's IAM policy language (identity, trust, bucket, key and
// endpoint policies alike) into statements whose Principal, Action and Resource are always lists, so checks can
// compare them without caring whether the document wrote a string or an array.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Statement is a parsed policy statement with Action, Resource and Principal normalised to lists.
type Statement struct {
	Sid        string
	Effect     string
	Principals []string // "*" or "Service:logs.us-east-1.amazonaws.com" or "AWS:arn:..."
	Actions    []string
	Resources  []string
	// NotResources is the statement's NotResource: it covers every resource but these.
	NotResources []string `json:",omitempty"`
	Condition    map[string]map[string]any
}

// Parse parses a policy document.
func Parse(doc string) ([]Statement, error) {
	var raw struct {
		Statement []struct {
			Sid         string
			Effect      string
			Principal   any
			Action      any
			Resource    any
			NotResource any
			Condition   map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("policy is not JSON: %w", err)
	}
	var out []Statement
	for _, s := range raw.Statement {
		st := Statement{Sid: s.Sid, Effect: s.Effect, Actions: list(s.Action), Resources: list(s.Resource),
			NotResources: list(s.NotResource), Condition: s.Condition}
		switch p := s.Principal.(type) {
		case string:
			st.Principals = []string{p}
		case map[string]any:
			for kind, v := range p {
				for _, x := range list(v) {
					st.Principals = append(st.Principals, kind+":"+x)
				}
			}
			sort.Strings(st.Principals)
		}
		out = append(out, st)
	}
	return out, nil
}

func list(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ConditionValue returns one condition value as a string ("" when absent or not a single string).
func (s Statement) ConditionValue(op, key string) string {
	v, ok := s.Condition[op][key]
	if !ok {
		return ""
	}
	if l := list(v); len(l) == 1 {
		return l[0]
	}
	return ""
}
