package components

import (
	"encoding/json"
)

// PolicyDocument is an IAM, KMS key, S3 bucket or VPC endpoint policy. Policies are built from these typed
// values and marshaled, never assembled by string concatenation.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Principal is nil for identity policies, "*" (AnyPrincipal) or a map such as
// {"Service": "logs.us-east-1.amazonaws.com"} for resource policies.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal any        `json:"Principal,omitempty"`
	Action    []string   `json:"Action"`
	Resource  []string   `json:"Resource"`
	Condition Conditions `json:"Condition,omitempty"`
}

// Conditions maps a condition operator (StringEquals, ArnLike, Bool, ...) to its keys and values.
type Conditions map[string]map[string]any

// AnyPrincipal is the policy principal "*". Only Deny statements and VPC endpoint policies (whose principal is
// whoever uses the endpoint) may use it without a condition.
const AnyPrincipal = "*"

func serviceprincipal(service string) map[string]string { return map[string]string{"Service": service} }

func awsPrincipal(arn string) map[string]string { return map[string]string{"AWS": arn} }

// policyJSON marshals a policy document. Marshaling these plain types cannot fail; a failure is a programming
// error and panics.
func policyJSON(doc PolicyDocument) string {
	doc.Version = "2012-10-17"
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(out)
}
