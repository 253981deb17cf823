package controls

import (
	"encoding/json"
	"fmt"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"sort"
)

// Statement is a parsed policy statement with Action, Resource and Principal normalised to lists.
type Statement struct {
	Sid        string
	Effect     string
	Principals []string // "*" or "Service:logs.us-east-1.amazonaws.com" or "AWS:arn:..."
	Actions    []string
	Resources  []string
	Condition  map[string]map[string]any
}

// ParsePolicy parses a policy document.
func ParsePolicy(doc string) ([]Statement, error) {
	var raw struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal any
			Action    any
			Resource  any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("policy is not JSON: %w", err)
	}
	var out []Statement
	for _, s := range raw.Statement {
		st := Statement{Sid: s.Sid, Effect: s.Effect, Actions: list(s.Action), Resources: list(s.Resource),
			Condition: s.Condition}
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

// Finding is one way a resource breaks a control.
type Finding struct {
	URN      string
	Type     string
	Name     string
	ID       string
	Message  string
	resource string
}

func (f Finding) String() string { return f.resource + ": " + f.Message }

// finding describes what is wrong with x.
func finding(x mockrun.Resource, format string, args ...any) Finding {
	return Finding{URN: x.URN, Type: x.Type, Name: x.Name, ID: x.ID, Message: fmt.Sprintf(format, args...),
		resource: x.String()}
}
