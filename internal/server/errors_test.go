package server

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/server/internal/testschema"
)

func TestResolverErrorCodes(t *testing.T) {
	tests := []struct {
		kind    string
		code    string
		message string         // exact, when set
		ext     map[string]any // must be present, with these values
		logged  string         // must appear in the log, when set
	}{
		{kind: "VALIDATION", code: "VALIDATION_FAILED", message: "input.email: must be an email address",
			ext: map[string]any{"field": "input.email", "reason": "must be an email address"}},
		{kind: "NOT_FOUND", code: "NOT_FOUND", message: "Lead 42 not found",
			ext: map[string]any{"type": "Lead", "id": "42"}},
		{kind: "CONFLICT", code: "CONFLICT", message: "lead was changed",
			ext: map[string]any{"existingId": "TGVhZDo0Mg==", "currentVersion": float64(7)}},
		{kind: "DENIED", code: "TRANSITION_DENIED", ext: map[string]any{
			"from": "new", "to": "qualified",
			"reasons": []any{map[string]any{"code": "budget_missing", "message": "budget is not known"}},
		}},
		{kind: "FORBIDDEN", code: "FORBIDDEN", ext: map[string]any{"operation": "deleteLead"}},
		{kind: "UNAUTHENTICATED", code: "UNAUTHENTICATED", message: "sign in first"},
		{kind: "ENT_NOT_FOUND", code: "NOT_FOUND"},
		{kind: "ENT_CONSTRAINT", code: "CONFLICT", message: "the change conflicts with existing data",
			logged: "UNIQUE constraint failed"},
		{kind: "ENT_VALIDATION", code: "VALIDATION_FAILED", message: "invalid value for employeeCount",
			ext: map[string]any{"field": "employeeCount"}},
		{kind: "PLAIN", code: "INTERNAL", message: "internal error", logged: testschema.Secret},
		{kind: "PANIC", code: "INTERNAL", message: "internal error", logged: "panic while resolving"},
		{kind: "DEADLINE", code: "TIMEOUT", message: "the request timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s, logs := newTestServer(t, Config{})
			res, body := post(t, s.Handler(), gqlRequest{
				Query:         `query FailWith($kind: FailKind!) { fail(kind: $kind) }`,
				OperationName: "FailWith",
				Variables:     map[string]any{"kind": tt.kind},
			})
			if res.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", res.StatusCode)
			}
			e := onlyError(t, body)
			if got := e.Extensions["code"]; got != tt.code {
				t.Errorf("code = %v, want %s (error %+v)", got, tt.code, e)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("message = %q, want %q", e.Message, tt.message)
			}
			for k, want := range tt.ext {
				if got := e.Extensions[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("extensions.%s = %#v, want %#v", k, got, want)
				}
			}
			if !reflect.DeepEqual(e.Path, []any{"fail"}) {
				t.Errorf("path = %v, want [fail]", e.Path)
			}
			raw, _ := readBody(res)
			for _, leak := range []string{testschema.Secret, "UNIQUE", "ent:"} {
				if strings.Contains(raw, leak) {
					t.Errorf("response leaks %q: %s", leak, raw)
				}
			}
			if tt.logged != "" && !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("log lacks %q:\n%s", tt.logged, logs)
			}
		})
	}
}

func TestInternalErrorsAreLoggedWithContext(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	r := newPost(t, gqlRequest{Query: `query Boom { fail(kind: PANIC) }`})
	r.Header.Set(RequestIDHeader, "req-123")
	_, body := do(t, s.Handler(), r)

	e := onlyError(t, body)
	if e.Extensions["requestId"] != "req-123" {
		t.Errorf("requestId = %v, want req-123", e.Extensions["requestId"])
	}
	log := logs.String()
	for _, want := range []string{`"msg":"panic while resolving"`, `"operation":"Boom"`, `"request_id":"req-123"`,
		`"path":"fail"`, "failures.go", testschema.Secret} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	tests := []struct {
		name      string
		req       gqlRequest
		status    int
		code      string
		field     string // extensions.field, when set
		locations bool
	}{
		{name: "parse", req: gqlRequest{Query: `{ hello `}, status: 422, code: "GRAPHQL_PARSE_FAILED", locations: true},
		{name: "unknown field", req: gqlRequest{Query: `{ nope }`}, status: 422,
			code: "GRAPHQL_VALIDATION_FAILED", locations: true},
		{name: "missing variable field", status: 422, code: "VALIDATION_FAILED", field: "input.email",
			req: gqlRequest{
				Query:     `query Echo($input: EchoInput!) { echo(input: $input) }`,
				Variables: map[string]any{"input": map[string]any{"size": 3}},
			}},
		{name: "variable of the wrong type", status: 422, code: "VALIDATION_FAILED", field: "input.size",
			req: gqlRequest{
				Query:     `query Echo($input: EchoInput!) { echo(input: $input) }`,
				Variables: map[string]any{"input": map[string]any{"email": "a@b.c", "size": "big"}},
			}},
		{name: "argument coercion", req: gqlRequest{Query: `{ strict(value: "bad") }`}, status: 200,
			code: "VALIDATION_FAILED", field: "value"},
		{name: "argument coercion from a variable", status: 200, code: "VALIDATION_FAILED", field: "value",
			req: gqlRequest{
				Query:     `query S($v: Strict!) { strict(value: $v) }`,
				Variables: map[string]any{"v": "bad"},
			}},
		{name: "unknown operation", req: gqlRequest{Query: `query A { hello }`, OperationName: "B"}, status: 422,
			code: "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{})
			res, body := post(t, s.Handler(), tt.req)
			if res.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.status)
			}
			e := onlyError(t, body)
			if e.Extensions["code"] != tt.code {
				t.Errorf("code = %v, want %s (%+v)", e.Extensions["code"], tt.code, e)
			}
			if tt.field != "" && e.Extensions["field"] != tt.field {
				t.Errorf("field = %v, want %s", e.Extensions["field"], tt.field)
			}
			if tt.locations && len(e.Locations) == 0 {
				t.Errorf("no locations in %+v", e)
			}
			if e.Message == "" || e.Message == "internal error" {
				t.Errorf("message = %q, want gqlgen's explanation", e.Message)
			}
		})
	}
}

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{
		"email": "email", "employee_count": "employeeCount", "a_b_c": "aBC", "_x": "x", "created_at_": "createdAt",
	} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}
