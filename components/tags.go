package components

import (
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Tagging. Stack-wide tags (Project, Environment, ManagedBy) come from the provider's defaultTags; a caller adds
// its own per component with the Args' Tags field (cost centre, owner); each child gets those plus its own Name
// (and Tier, for subnets, route tables and network ACLs), which win over a caller's tag of the same key, so a
// Name always says which resource it is.

// Tag limits AWS enforces on EC2, KMS, CloudWatch Logs, IAM and S3 alike.
const (
	maxTagKeyLength   = 128
	maxTagValueLength = 256
	// maxCallerTags leaves room under AWS's 50 tags per resource for Name, Tier and the provider's default tags.
	maxCallerTags = 40
)

// childTags returns a child's tags: the caller's, then Name and the extra key/value pairs over them.
func childTags(caller map[string]string, name string, kv ...string) pulumi.StringMap {
	m := pulumi.StringMap{}
	for k, v := range caller {
		m[k] = pulumi.String(v)
	}
	m["Name"] = pulumi.String(name)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = pulumi.String(kv[i+1])
	}
	return m
}

// checkTags reports what AWS would refuse in a caller's tags, under the argument name "Tags".
func checkTags(p *problems, tags map[string]string) {
	if len(tags) > maxCallerTags {
		p.add("Tags", "has %d tags; at most %d (AWS allows 50 per resource, and Name, Tier and the default tags need room)",
			len(tags), maxCallerTags)
	}
	for _, k := range sortedKeys(tags) {
		v := tags[k]
		switch {
		case k == "" || len(k) > maxTagKeyLength:
			p.add("Tags", "key %q must be 1 to %d characters", k, maxTagKeyLength)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			p.add("Tags", "key %q uses the aws: prefix, which AWS reserves", k)
		case k == "Name" || k == "Tier":
			p.add("Tags", "key %q is set by the component for each resource; remove it", k)
		}
		if len(v) > maxTagValueLength {
			p.add("Tags", "value of %q is %d characters; at most %d", k, len(v), maxTagValueLength)
		}
	}
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
