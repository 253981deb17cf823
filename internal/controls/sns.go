package controls

import (
	"slices"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// TopicsEncryptedAndPublishedOnlyByNamedSources reports a topic not encrypted with a key of the stack, and a topic
// policy statement that allows any principal, or a service principal without the publishing account
// (aws:SourceAccount) and resources (aws:SourceArn).
func TopicsEncryptedAndPublishedOnlyByNamedSources(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, t := range r.OfType(mockrun.TypeTopic) {
		if keyByArn(r, t.Str("kmsMasterKeyId")) == nil {
			bad = append(bad, finding(t, "kmsMasterKeyId %q is not a key of the stack", t.Str("kmsMasterKeyId")))
		}
	}
	for _, p := range r.OfType(mockrun.TypeTopicPolicy) {
		stmts, err := iampolicy.Parse(p.Str("policy"))
		if err != nil || len(stmts) == 0 {
			bad = append(bad, finding(p, "no topic policy"))
			continue
		}
		for _, s := range stmts {
			if s.Effect != "Allow" {
				continue
			}
			for _, who := range s.Principals {
				switch {
				case who == "*" || who == "AWS:*":
					bad = append(bad, finding(p, "statement %q allows any principal", s.Sid))
				case strings.HasPrefix(who, "Service:") && (!hasConditionKey(s, "aws:SourceAccount") || !hasConditionKey(s, "aws:SourceArn")):
					bad = append(bad, finding(p, "statement %q lets %s publish without aws:SourceAccount and aws:SourceArn", s.Sid, who))
				}
			}
		}
	}
	return bad
}

// hasConditionKey says whether a statement conditions on key under any operator, with values that are not "*".
func hasConditionKey(s iampolicy.Statement, key string) bool {
	for _, keys := range s.Condition {
		if v, ok := keys[key]; ok {
			vals, isList := v.([]any)
			if !isList {
				vals = []any{v}
			}
			return !slices.Contains(vals, any("*"))
		}
	}
	return false
}
