package controls

import "strings"

// Readers of recorded input values (plain Go values, as mockrun.Resource.Value returns them): a missing or
// mistyped value reads as the zero value, which every check treats as "not set".

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func asInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func anyHasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
