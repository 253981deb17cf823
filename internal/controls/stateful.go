package controls

import (
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// StatefulResourcesProtected finds buckets, tables and the keys that encrypt them that `pulumi destroy` could
// delete (no protect) or that deleting the stack would remove (no retainOnDelete), and buckets that Pulumi
// would empty (forceDestroy).
func StatefulResourcesProtected(r *mockrun.Result) []Finding {
	var bad []Finding
	stateful := append(r.OfType(mockrun.TypeBucket), r.OfType(mockrun.TypeTable)...)
	for _, x := range stateful {
		if x.Value("forceDestroy") == true {
			bad = append(bad, finding(x, "forceDestroy is on"))
		}
	}
	for _, e := range r.OfType(mockrun.TypeBucketEncryption) {
		for _, rule := range sseRules(e) {
			if k := keyByArn(r, rule.KeyArn); k != nil {
				stateful = append(stateful, *k)
			}
		}
	}
	for _, t := range r.OfType(mockrun.TypeTable) {
		sse, _ := t.Value("serverSideEncryption").(map[string]any)
		if k := keyByArn(r, asString(sse["kmsKeyArn"])); k != nil {
			stateful = append(stateful, *k)
		}
	}
	seen := map[string]bool{}
	for _, x := range stateful {
		if seen[x.URN] {
			continue
		}
		seen[x.URN] = true
		if !x.Protect || !x.RetainOnDelete {
			bad = append(bad, finding(x, "protect=%v retainOnDelete=%v, want both", x.Protect, x.RetainOnDelete))
		}
	}
	return bad
}
