package decisionlog

import "strings"

// Redact returns a copy of a stored input or result without the fields of hidden ("lead.email",
// "contact.phone": the scope's redactions), wherever an object of that kind appears: under its
// key ("lead") or in a list under the plural ("contacts"). The contract holds no such field
// today; this keeps a future one from leaking through the log.
func Redact(m map[string]any, hidden []string) map[string]any {
	if len(hidden) == 0 || m == nil {
		return m
	}
	byKind := map[string][]string{}
	for _, h := range hidden {
		if kind, field, ok := strings.Cut(h, "."); ok {
			byKind[kind] = append(byKind[kind], field)
			byKind[kind+"s"] = append(byKind[kind+"s"], field)
		}
	}
	return redactObject(m, byKind, nil)
}

func redactObject(m map[string]any, byKind map[string][]string, drop []string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if contains(drop, k) {
			continue
		}
		out[k] = redactValue(v, byKind, byKind[k])
	}
	return out
}

func redactValue(v any, byKind map[string][]string, drop []string) any {
	switch x := v.(type) {
	case map[string]any:
		return redactObject(x, byKind, drop)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e, byKind, drop)
		}
		return out
	}
	return v
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
