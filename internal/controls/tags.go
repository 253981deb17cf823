package controls

import (
	"encoding/json"
	"fmt"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// RequiredDefaultTags must be set through aws:defaultTags in every stack file, so every resource of the default
// provider carries them (cost allocation, ownership, incident routing).
var RequiredDefaultTags = []string{"Environment", "ManagedBy", "Project"}

// TaggableTypes are the resource types this program creates that accept tags.
var TaggableTypes = []string{mockrun.TypeVpc, mockrun.TypeSubnet, mockrun.TypeRouteTable,
	mockrun.TypeInternetGateway, mockrun.TypeNatGateway, mockrun.TypeEip, mockrun.TypeVpcEndpoint,
	mockrun.TypeDefaultSecurityGroup, mockrun.TypeDefaultNetworkAcl, mockrun.TypeNetworkAcl, mockrun.TypeFlowLog,
	mockrun.TypeKmsKey, mockrun.TypeLogGroup, mockrun.TypeRole, mockrun.TypeBucket, mockrun.TypeTable}

// TagsPresent finds taggable resources without a Name tag, and stacks whose aws:defaultTags lack a required tag.
func TagsPresent(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, typ := range TaggableTypes {
		for _, x := range r.OfType(typ) {
			tags, _ := x.Value("tags").(map[string]any)
			if name, _ := tags["Name"].(string); name == "" {
				bad = append(bad, finding(x, "no Name tag"))
			}
		}
	}
	var defaults struct {
		Tags map[string]string `json:"tags"`
	}
	_ = json.Unmarshal([]byte(r.Config["aws:defaultTags"]), &defaults)
	for _, tag := range RequiredDefaultTags {
		if defaults.Tags[tag] == "" {
			bad = append(bad, Finding{Type: "stack", Name: r.Stack, resource: fmt.Sprintf("stack %q", r.Stack),
				Message: fmt.Sprintf("aws:defaultTags has no %s tag", tag)})
		}
	}
	return bad
}
