package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The policy model. AWS has five kinds of policy document and each has its own grammar:
//
//	kind             Principal   Resource                  used by
//	identityPolicy   forbidden   required                  iam.RolePolicy, permissions boundaries
//	trustPolicy      required    forbidden (even null)     iam.Role's AssumeRolePolicy
//	resourcePolicy   required    required                  s3.BucketPolicy
//	keyPolicy        required    required, always "*"      kms.Key
//	endpointPolicy   required    required                  ec2.VpcEndpoint
//
// Each kind has a statement type with exactly the fields its grammar allows, so a trust statement has no
// Resource field to set and an identity statement no Principal field. What the type system cannot express
// (an empty action list, a missing principal, an unknown effect) is refused by render, which every document
// goes through: nothing reaches AWS as null, and Action/NotAction and Resource/NotResource are one field each,
// so they cannot both be set.

// effect is a statement's Effect.
type effect string

const (
	allow effect = "Allow"
	deny  effect = "Deny"
)

// principal is a statement's Principal: "*" or one kind ("Service", "AWS", "Federated") with its identifiers.
// The zero value is "no principal" and is refused where the grammar needs one.
type principal struct {
	anyone bool
	kind   string
	ids    []string
}

// anyPrincipal is "*": everyone. Only Deny statements, VPC endpoint policies (whose principal is whoever uses
// the endpoint) and statements narrowed by a condition may use it.
func anyPrincipal() principal { return principal{anyone: true} }

// servicePrincipal is an AWS service such as logs.us-east-1.amazonaws.com.
func servicePrincipal(services ...string) principal { return principal{kind: "Service", ids: services} }

// awsPrincipal is an account, role or user ARN.
func awsPrincipal(arns ...string) principal { return principal{kind: "AWS", ids: arns} }

func (p principal) empty() bool { return !p.anyone && len(p.ids) == 0 }

func (p principal) MarshalJSON() ([]byte, error) {
	if p.anyone {
		return json.Marshal("*")
	}
	if len(p.ids) == 1 { // the form AWS itself returns, so a refresh shows no difference
		return json.Marshal(map[string]string{p.kind: p.ids[0]})
	}
	return json.Marshal(map[string][]string{p.kind: p.ids})
}

// actions is Action or NotAction. The zero value is empty and refused.
type actions struct {
	not   bool
	names []string
}

// action lists the actions a statement covers.
func action(names ...string) actions { return actions{names: names} }

// resources is Resource or NotResource. The zero value is empty and refused where the grammar needs one.
type resources struct {
	not  bool
	arns []string
}

// resource lists the resources a statement covers.
func resource(arns ...string) resources { return resources{arns: arns} }

// notResource lists the resources a statement does not cover: it covers every other.
func notResource(arns ...string) resources { return resources{not: true, arns: arns} }

// conditions maps a condition operator (StringEquals, ArnLike, Bool, ...) to its keys and values.
type conditions map[string]map[string]any

// identityStatement is a statement of an identity policy (a role's inline policy, a permissions boundary).
type identityStatement struct {
	Sid       string
	Effect    effect
	Action    actions
	Resource  resources
	Condition conditions
}

// resourceStatement is a statement of a bucket, key or endpoint policy.
type resourceStatement struct {
	Sid       string
	Effect    effect
	Principal principal
	Action    actions
	Resource  resources
	Condition conditions
}

// trustStatement is a statement of a role trust policy: it has no Resource, which IAM refuses there.
type trustStatement struct {
	Sid       string
	Effect    effect
	Principal principal
	Action    actions
	Condition conditions
}

type identityPolicy []identityStatement
type trustPolicy []trustStatement
type resourcePolicy []resourceStatement
type keyPolicy []resourceStatement
type endpointPolicy []resourceStatement

// wireStatement is the JSON form. Every optional field is omitempty, so nothing is ever sent as null.
type wireStatement struct {
	Sid         string     `json:"Sid,omitempty"`
	Effect      effect     `json:"Effect"`
	Principal   *principal `json:"Principal,omitempty"`
	Action      []string   `json:"Action,omitempty"`
	NotAction   []string   `json:"NotAction,omitempty"`
	Resource    []string   `json:"Resource,omitempty"`
	NotResource []string   `json:"NotResource,omitempty"`
	Condition   conditions `json:"Condition,omitempty"`
}

type wireDocument struct {
	Version   string          `json:"Version"`
	Statement []wireStatement `json:"Statement"`
}

// grammar is what one policy kind requires of its statements.
type grammar struct {
	kind              string
	principal         bool // Principal required (else forbidden)
	resource          bool // Resource or NotResource required (else forbidden)
	onlyStarResources bool // key policies: the key itself, written "*"
}

var (
	identityGrammar = grammar{kind: "identity policy", resource: true}
	trustGrammar    = grammar{kind: "trust policy", principal: true}
	resourceGrammar = grammar{kind: "resource policy", principal: true, resource: true}
	keyGrammar      = grammar{kind: "key policy", principal: true, resource: true, onlyStarResources: true}
	endpointGrammar = grammar{kind: "endpoint policy", principal: true, resource: true}
)

var (
	sidPattern    = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	actionPattern = regexp.MustCompile(`^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$`)
)

// render checks each statement against the kind's grammar and marshals the document, reporting every problem.
func render(g grammar, stmts []wireStatement) (string, error) {
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s statement %d: %s", g.kind, i, fmt.Sprintf(format, args...)))
	}
	if len(stmts) == 0 {
		errs = append(errs, fmt.Errorf("%s: has no statement", g.kind))
	}
	sids := map[string]bool{}
	for i, s := range stmts {
		if s.Effect != allow && s.Effect != deny {
			bad(i, "effect %q is neither Allow nor Deny", s.Effect)
		}
		if !sidPattern.MatchString(s.Sid) {
			bad(i, "sid %q may hold only letters and digits", s.Sid)
		}
		if s.Sid != "" && sids[s.Sid] {
			bad(i, "sid %q is used twice", s.Sid)
		}
		sids[s.Sid] = true
		if len(s.Action)+len(s.NotAction) == 0 {
			bad(i, "has no action")
		}
		for _, a := range append(append([]string(nil), s.Action...), s.NotAction...) {
			if !actionPattern.MatchString(a) {
				bad(i, "action %q is not service:Name", a)
			}
		}
		switch {
		case g.principal && (s.Principal == nil || s.Principal.empty()):
			bad(i, "needs a principal")
		case !g.principal && s.Principal != nil:
			bad(i, "must not have a principal")
		}
		n := len(s.Resource) + len(s.NotResource)
		switch {
		case g.resource && n == 0:
			bad(i, "needs a resource")
		case !g.resource && n > 0:
			bad(i, "must not have a resource")
		case g.onlyStarResources && (len(s.Resource) != 1 || s.Resource[0] != "*"):
			bad(i, `a key policy's resource is the key itself, written "*"`)
		}
		for _, r := range append(append([]string(nil), s.Resource...), s.NotResource...) {
			if r == "" || strings.TrimSpace(r) != r {
				bad(i, "resource %q is empty or padded", r)
			}
		}
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	out, err := json.Marshal(wireDocument{Version: "2012-10-17", Statement: stmts})
	if err != nil {
		return "", fmt.Errorf("%s: %w", g.kind, err)
	}
	return string(out), nil
}

func (a actions) wire() (in, not []string) {
	if a.not {
		return nil, a.names
	}
	return a.names, nil
}

func (r resources) wire() (in, not []string) {
	if r.not {
		return nil, r.arns
	}
	return r.arns, nil
}

func principalRef(p principal) *principal {
	if p.empty() {
		return nil
	}
	return &p
}

func resourceWire(stmts []resourceStatement) []wireStatement {
	out := make([]wireStatement, 0, len(stmts))
	for _, s := range stmts {
		w := wireStatement{Sid: s.Sid, Effect: s.Effect, Principal: principalRef(s.Principal), Condition: s.Condition}
		w.Action, w.NotAction = s.Action.wire()
		w.Resource, w.NotResource = s.Resource.wire()
		out = append(out, w)
	}
	return out
}

// JSON renders the identity policy, or says every way it breaks the grammar.
func (p identityPolicy) JSON() (string, error) {
	out := make([]wireStatement, 0, len(p))
	for _, s := range p {
		w := wireStatement{Sid: s.Sid, Effect: s.Effect, Condition: s.Condition}
		w.Action, w.NotAction = s.Action.wire()
		w.Resource, w.NotResource = s.Resource.wire()
		out = append(out, w)
	}
	return render(identityGrammar, out)
}

// JSON renders the trust policy, or says every way it breaks the grammar.
func (p trustPolicy) JSON() (string, error) {
	out := make([]wireStatement, 0, len(p))
	for _, s := range p {
		w := wireStatement{Sid: s.Sid, Effect: s.Effect, Principal: principalRef(s.Principal), Condition: s.Condition}
		w.Action, w.NotAction = s.Action.wire()
		out = append(out, w)
	}
	return render(trustGrammar, out)
}

// JSON renders the bucket policy, or says every way it breaks the grammar.
func (p resourcePolicy) JSON() (string, error) { return render(resourceGrammar, resourceWire(p)) }

// JSON renders the key policy, or says every way it breaks the grammar.
func (p keyPolicy) JSON() (string, error) { return render(keyGrammar, resourceWire(p)) }

// JSON renders the endpoint policy, or says every way it breaks the grammar.
func (p endpointPolicy) JSON() (string, error) { return render(endpointGrammar, resourceWire(p)) }
