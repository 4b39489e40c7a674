package server

import (
	"context"
	"errors"
	"maps"
	"strings"
	"unicode"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
)

// The codes the presenter adds to domainerr's.
const (
	codeTimeout    = string(domainerr.CodeTimeout)
	codeCancelled  = "CANCELLED"
	codeBadRequest = "BAD_REQUEST"
)

// unavailableRetryAfter is the Retry-After hint (seconds) of an UNAVAILABLE answer.
const unavailableRetryAfter = 2

// errPanicked stands for a recovered panic, which recoverPanic has already logged.
var errPanicked = errors.New("panic while resolving")

// presentError is the one error presenter: it gives every GraphQL error an extensions.code and
// makes sure nothing but a deliberate, client-facing message leaves the server.
//
//   - domainerr.Coded: its code, message and extensions (VALIDATION_FAILED, NOT_FOUND, CONFLICT,
//     TRANSITION_DENIED, FORBIDDEN, UNAUTHENTICATED, …)
//   - ent: not-found → NOT_FOUND; constraint → CONFLICT (no SQL); validation → VALIDATION_FAILED
//     with the field
//   - context deadline (the request timeout) → TIMEOUT; client gone → CANCELLED
//   - the database unreachable (connection refused or lost, no pooled connection within the
//     acquisition timeout) or still failing transiently after the transaction's retries, and no
//     active policy → UNAVAILABLE with retryAfter; a response that is nothing but UNAVAILABLE
//     is HTTP 503 with Retry-After
//   - gqlgen's refusals of the request keep their codes (GRAPHQL_PARSE_FAILED,
//     GRAPHQL_VALIDATION_FAILED, PERSISTED_QUERY_NOT_FOUND, DEPTH_LIMIT, COMPLEXITY_LIMIT), except
//     that bad variables and arguments become VALIDATION_FAILED with the field
//   - anything else → INTERNAL, "internal error"; the real error is logged, never returned.
func (s *Server) presentError(ctx context.Context, err error) *gqlerror.Error {
	if err == nil {
		return nil
	}
	gqlErr := graphql.DefaultErrorPresenter(ctx, err) // finds the *gqlerror.Error, with path and locations
	out := &gqlerror.Error{Path: gqlErr.Path, Locations: gqlErr.Locations, Rule: gqlErr.Rule}
	present := func(code, msg string, ext map[string]any) *gqlerror.Error {
		out.Message = msg
		out.Extensions = maps.Clone(ext)
		if out.Extensions == nil {
			out.Extensions = map[string]any{}
		}
		out.Extensions["code"] = code
		return out
	}
	withRequestID := map[string]any{"requestId": RequestID(ctx)}

	if errors.Is(err, errPanicked) {
		return present(string(domainerr.CodeInternal), "internal error", withRequestID)
	}
	if coded, ok := errors.AsType[domainerr.Coded](err); ok {
		if coded.Code() == domainerr.CodePolicyTimeout {
			// The request died in the policy: say so in the logs too, with the decision and revision.
			s.log.WarnContext(ctx, "policy decision timed out", append(s.errorAttrs(ctx, err), "decision", coded.Extensions())...)
		}
		return present(string(coded.Code()), coded.Error(), coded.Extensions())
	}
	if ent.IsNotFound(err) {
		nf, _ := errors.AsType[*ent.NotFoundError](err)
		return present(string(domainerr.CodeNotFound), strings.TrimPrefix(nf.Error(), "ent: "), nil)
	}
	if ent.IsConstraintError(err) {
		s.log.WarnContext(ctx, "constraint failed", s.errorAttrs(ctx, err)...)
		return present(string(domainerr.CodeConflict), "the change conflicts with existing data", nil)
	}
	if ent.IsValidationError(err) {
		ve, _ := errors.AsType[*ent.ValidationError](err)
		field := lowerCamel(ve.Name)
		ext := map[string]any{"field": field}
		if cause := ve.Unwrap(); cause != nil {
			ext["reason"] = strings.TrimPrefix(cause.Error(), "ent: ")
		}
		return present(string(domainerr.CodeValidation), "invalid value for "+field, ext)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return present(codeTimeout, "the request timed out", withRequestID)
	}
	if what := unavailable(err); what != "" {
		s.logErr.warn(ctx, s.log, "dependency unavailable", s.errorAttrs(ctx, err)...)
		ue := &domainerr.UnavailableError{What: what, RetryAfter: unavailableRetryAfter}
		ext := ue.Extensions()
		ext["requestId"] = RequestID(ctx)
		return present(string(ue.Code()), ue.Error(), ext)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return present(codeCancelled, "the request was cancelled", nil)
	}

	fc := graphql.GetFieldContext(ctx)
	code, _ := gqlErr.Extensions["code"].(string)
	switch {
	case fc == nil && gqlErr.Err == nil:
		// gqlgen's refusal of the request itself: its message is written for the client.
		if code == errcode.ValidationFailed && len(gqlErr.Path) > 1 && gqlErr.Path[0] == ast.PathName("variable") {
			return present(string(domainerr.CodeValidation), gqlErr.Message,
				map[string]any{"field": gqlErr.Path[1:].String()})
		}
		if code == "" {
			code = codeBadRequest
		}
		return present(code, gqlErr.Message, gqlErr.Extensions)
	case fc != nil && isBelow(gqlErr.Path, fc.Path()):
		// An argument that failed coercion: the path runs past the field into its arguments.
		field := gqlErr.Path[len(fc.Path()):].String()
		return present(string(domainerr.CodeValidation), gqlErr.Message, map[string]any{"field": field})
	case fc != nil && code != "":
		// A *gqlerror.Error a resolver built with a code on purpose.
		return present(code, gqlErr.Message, gqlErr.Extensions)
	}

	s.logErr.error(ctx, s.log, "internal error", s.errorAttrs(ctx, err)...)
	return present(string(domainerr.CodeInternal), "internal error", withRequestID)
}

// unavailable names the dependency err says is unreachable, or "".
func unavailable(err error) string {
	if errors.Is(err, policy.ErrNoActivePolicy) {
		return "policy"
	}
	if dberr.Classify(err) != dberr.Other {
		return "database"
	}
	return ""
}

// errorAttrs are the log attributes of an error the client does not see.
func (s *Server) errorAttrs(ctx context.Context, err error) []any {
	attrs := []any{"err", err.Error(), "request_id", RequestID(ctx), "operation", operationOf(ctx)}
	if p := graphql.GetPath(ctx); len(p) > 0 {
		attrs = append(attrs, "path", p.String())
	}
	return attrs
}

// operationOf names the operation ctx belongs to for the log, as the metrics do; "" outside one.
func operationOf(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	opCtx := graphql.GetOperationContext(ctx)
	if opCtx.Operation != nil {
		return operationName(opCtx.Operation)
	}
	return opCtx.OperationName
}

// isBelow reports whether path extends parent.
func isBelow(path, parent ast.Path) bool {
	if len(path) <= len(parent) {
		return false
	}
	for i := range parent {
		if path[i] != parent[i] {
			return false
		}
	}
	return true
}

// lowerCamel turns ent's field names (employee_count) into the API's (employeeCount).
func lowerCamel(name string) string {
	var b strings.Builder
	upper := false
	for i, r := range name {
		switch {
		case r == '_':
			upper = i > 0
		case upper:
			b.WriteRune(unicode.ToUpper(r))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
