// Package domainerr defines the errors domain packages return and the API maps to
// GraphQL extensions.code. Domain code returns these; only the server's error presenter reads them.
package domainerr

import (
	"fmt"
	"strconv"
	"strings"
)

// Code is the value of a GraphQL error's extensions.code.
type Code string

// The codes the API returns.
const (
	CodeValidation Code = "VALIDATION_FAILED"
	CodeNotFound   Code = "NOT_FOUND"
	CodeConflict   Code = "CONFLICT"
	// CodeIdempotencyKeyReused is a conflict: a key sent again with another input.
	CodeIdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	CodeForbidden            Code = "FORBIDDEN"
	CodeUnauthenticated      Code = "UNAUTHENTICATED"
	CodeTransitionDenied     Code = "TRANSITION_DENIED"
	CodeRateLimited          Code = "RATE_LIMITED"
	CodePolicyUnavailable    Code = "POLICY_UNAVAILABLE"
	// CodePolicyTimeout: a policy decision ran out of time; extensions name the decision and revision.
	CodePolicyTimeout Code = "POLICY_TIMEOUT"
	// CodeUnavailable: the database or the policy is not reachable right now; the request did
	// nothing and may be sent again (after extensions.retryAfter seconds).
	CodeUnavailable Code = "UNAVAILABLE"
	// CodeTimeout: the request ran out of time; a write may or may not have committed.
	CodeTimeout Code = "TIMEOUT"
	// CodeCostLimit refuses an operation that could return more than the cost limit allows;
	// extensions carry "cost" and "limit".
	CodeCostLimit Code = "COST_LIMIT"
	// CodeConcurrencyLimit refuses an expensive operation while the caller runs as many as it may.
	CodeConcurrencyLimit Code = "CONCURRENCY_LIMIT"
	CodeInternal         Code = "INTERNAL"
)

// HTTPStatus is the status an endpoint outside GraphQL (the exports) answers an error of code c
// with, so that every one of them says a refusal, an outage or a timeout alike.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeUnauthenticated:
		return 401
	case CodeForbidden:
		return 403
	case CodeValidation, CodeCostLimit, "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT":
		return 400
	case CodeNotFound:
		return 404
	case CodeConflict, CodeIdempotencyKeyReused:
		return 409
	case CodeRateLimited, CodeConcurrencyLimit:
		return 429
	case CodeUnavailable, CodePolicyUnavailable:
		return 503
	case CodeTimeout, CodePolicyTimeout:
		return 504
	}
	return 500
}

// Coded is implemented by every domain error: its code and the extensions it adds.
type Coded interface {
	error
	Code() Code
	Extensions() map[string]any
}

// ValidationError is bad input at a field path such as ["input", "email"].
type ValidationError struct {
	Field  []string
	Reason string
}

// Validation returns a ValidationError for the given input field (dotted path, e.g. "input.email").
func Validation(field, reason string) *ValidationError {
	return &ValidationError{Field: strings.Split(field, "."), Reason: reason}
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %s", strings.Join(e.Field, "."), e.Reason)
}

// Code implements Coded.
func (e *ValidationError) Code() Code { return CodeValidation }

// Extensions implements Coded.
func (e *ValidationError) Extensions() map[string]any {
	return map[string]any{"field": strings.Join(e.Field, "."), "reason": e.Reason}
}

// NotFoundError says no node of Type with ID exists (or the caller may not see it).
type NotFoundError struct {
	Type string
	ID   string
}

// NotFound returns a NotFoundError.
func NotFound(typ string, id any) *NotFoundError {
	return &NotFoundError{Type: typ, ID: fmt.Sprint(id)}
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Type, e.ID) }

// Code implements Coded.
func (e *NotFoundError) Code() Code { return CodeNotFound }

// Extensions implements Coded.
func (e *NotFoundError) Extensions() map[string]any {
	return map[string]any{"type": e.Type, "id": e.ID}
}

// ConflictError is a write that collides with stored state: a unique value that exists (ExistingID
// names the node holding it) or a stale version (CurrentVersion is the stored one).
type ConflictError struct {
	Message        string
	Field          string
	ExistingID     string
	CurrentVersion int
}

func (e *ConflictError) Error() string { return e.Message }

// Code implements Coded.
func (e *ConflictError) Code() Code { return CodeConflict }

// Extensions implements Coded.
func (e *ConflictError) Extensions() map[string]any {
	ext := map[string]any{}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.ExistingID != "" {
		ext["existingId"] = e.ExistingID
	}
	if e.CurrentVersion != 0 {
		ext["currentVersion"] = e.CurrentVersion
	}
	return ext
}

// Reason is one explanation of a policy refusal.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// DeniedError is a transition the policy refused, with the reasons it gave.
type DeniedError struct {
	From, To string
	Reasons  []Reason
}

func (e *DeniedError) Error() string {
	msgs := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		msgs[i] = r.Message
	}
	return fmt.Sprintf("transition %s → %s denied: %s", e.From, e.To, strings.Join(msgs, "; "))
}

// Code implements Coded.
func (e *DeniedError) Code() Code { return CodeTransitionDenied }

// Extensions implements Coded.
func (e *DeniedError) Extensions() map[string]any {
	return map[string]any{"reasons": e.Reasons, "from": e.From, "to": e.To}
}

// ForbiddenError is an operation the access policy refused.
type ForbiddenError struct {
	Operation string
	Reason    string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s is forbidden: %s", e.Operation, e.Reason)
}

// Code implements Coded.
func (e *ForbiddenError) Code() Code { return CodeForbidden }

// Extensions implements Coded.
func (e *ForbiddenError) Extensions() map[string]any {
	return map[string]any{"operation": e.Operation, "reason": e.Reason}
}

// UnauthenticatedError is a request without a usable credential. Reason says why without
// echoing the credential.
type UnauthenticatedError struct{ Reason string }

func (e *UnauthenticatedError) Error() string { return "unauthenticated: " + e.Reason }

// Code implements Coded.
func (e *UnauthenticatedError) Code() Code { return CodeUnauthenticated }

// Extensions implements Coded.
func (e *UnauthenticatedError) Extensions() map[string]any { return map[string]any{"reason": e.Reason} }

// IdempotencyKeyReusedError is a create sent again under an idempotency key the same caller
// used before with another input: a CONFLICT of its own code, so a client tells a reused key
// from a duplicate value. LeadID is the caller's own lead created under the key.
type IdempotencyKeyReusedError struct {
	Key    string
	LeadID int
}

func (e *IdempotencyKeyReusedError) Error() string {
	return "idempotency key was used before with a different input; use a new key for a new request"
}

// Code implements Coded.
func (e *IdempotencyKeyReusedError) Code() Code { return CodeIdempotencyKeyReused }

// Extensions implements Coded.
func (e *IdempotencyKeyReusedError) Extensions() map[string]any {
	return map[string]any{"field": "idempotencyKey", "existingId": strconv.Itoa(e.LeadID), "conflict": true}
}

// UnavailableError is a dependency (the database, the policy) that cannot answer now. The
// request changed nothing; RetryAfter is a hint in seconds.
type UnavailableError struct {
	What       string // "database", "policy"
	RetryAfter int
}

func (e *UnavailableError) Error() string {
	return "the " + e.What + " is unavailable; try again shortly"
}

// Code implements Coded.
func (e *UnavailableError) Code() Code { return CodeUnavailable }

// Extensions implements Coded.
func (e *UnavailableError) Extensions() map[string]any {
	return map[string]any{"dependency": e.What, "retryAfter": e.RetryAfter}
}

// CodeAmbiguous is a reference that names more than one thing, e.g. a policy revision given by
// a manifest revision that several contents share.
const CodeAmbiguous Code = "AMBIGUOUS"

// AmbiguousError is a reference matching several nodes of Type; Candidates describe each of them
// (with at least the value that names it uniquely) so that the caller can pick one.
type AmbiguousError struct {
	Type       string
	Ref        string
	Field      string
	Candidates []map[string]any
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s %q is ambiguous: %d %s match; give one of the candidates", e.Type, e.Ref, len(e.Candidates), e.Type)
}

// Code implements Coded.
func (e *AmbiguousError) Code() Code { return CodeAmbiguous }

// Extensions implements Coded.
func (e *AmbiguousError) Extensions() map[string]any {
	return map[string]any{"type": e.Type, "ref": e.Ref, "field": e.Field, "candidates": e.Candidates}
}

// CodeApprovalRequired is a publish that needs a second person's approval first.
const CodeApprovalRequired Code = "APPROVAL_REQUIRED"

// ApprovalRequiredError refuses a publish of a draft (by its content Hash) that nobody but the
// publisher approved.
type ApprovalRequiredError struct {
	Hash   string
	Reason string
}

func (e *ApprovalRequiredError) Error() string {
	return fmt.Sprintf("publishing draft %.12s needs approval by another revops or admin: %s", e.Hash, e.Reason)
}

// Code implements Coded.
func (e *ApprovalRequiredError) Code() Code { return CodeApprovalRequired }

// Extensions implements Coded.
func (e *ApprovalRequiredError) Extensions() map[string]any {
	return map[string]any{"hash": e.Hash, "reason": e.Reason}
}

// PolicyTimeoutError is a request that died in a policy decision: the decision's deadline (or
// the request's, while it was deciding) stopped the evaluation. It names the decision and the
// revision, so that the caller and the logs blame the policy, not the database or the network.
type PolicyTimeoutError struct {
	Decision     string // the query, e.g. data.qualify.lead.decision
	Revision     string // the .manifest label
	RevisionHash string
	Err          error
}

func (e *PolicyTimeoutError) Error() string {
	return fmt.Sprintf("the policy decision %s of revision %q (%.12s) timed out", e.Decision, e.Revision, e.RevisionHash)
}

func (e *PolicyTimeoutError) Unwrap() error { return e.Err }

// Code implements Coded.
func (e *PolicyTimeoutError) Code() Code { return CodePolicyTimeout }

// Extensions implements Coded.
func (e *PolicyTimeoutError) Extensions() map[string]any {
	return map[string]any{"decision": e.Decision, "revision": e.Revision, "revisionHash": e.RevisionHash}
}
