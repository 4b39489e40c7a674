package testschema

import (
	"context"
	"errors"
	"fmt"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/domainerr"
)

// Secret is text the tests put into internal errors and panics; it must never reach a client.
const Secret = "dial tcp 10.0.0.5:5432: password authentication failed for user qualify"

// failure returns the error Query.fail(kind) fails with, wrapped the way domain code wraps errors,
// so the presenter has to unwrap it.
func failure(kind FailKind) error {
	switch kind {
	case FailKindValidation:
		return fmt.Errorf("create lead: %w", domainerr.Validation("input.email", "must be an email address"))
	case FailKindNotFound:
		return fmt.Errorf("load: %w", domainerr.NotFound("Lead", 42))
	case FailKindConflict:
		return &domainerr.ConflictError{Message: "lead was changed", ExistingID: "TGVhZDo0Mg==", CurrentVersion: 7}
	case FailKindDenied:
		return &domainerr.DeniedError{From: "new", To: "qualified", Reasons: []domainerr.Reason{
			{Code: "budget_missing", Message: "budget is not known"},
		}}
	case FailKindForbidden:
		return &domainerr.ForbiddenError{Operation: "deleteLead", Reason: "role viewer"}
	case FailKindUnauthenticated:
		return unauthenticated{}
	case FailKindEntNotFound:
		return fmt.Errorf("lead 42: %w", &ent.NotFoundError{})
	case FailKindEntConstraint:
		return fmt.Errorf("insert: UNIQUE constraint failed: leads.email (%s): %w", Secret, &ent.ConstraintError{})
	case FailKindEntValidation:
		// ent's ValidationError cannot be built outside ent with its cause set, and its Error method
		// needs one; hide it behind a wrapper with its own message, as a domain package might.
		return opaque{msg: "create account: " + Secret, err: &ent.ValidationError{Name: "employee_count"}}
	case FailKindPlain:
		return errors.New(Secret)
	case FailKindPanic:
		panic(Secret)
	case FailKindDeadline:
		return fmt.Errorf("query leads: %w", context.DeadlineExceeded)
	}
	return fmt.Errorf("unknown kind %s", kind)
}

// unauthenticated is a domainerr.Coded the domain package does not define (yet).
type unauthenticated struct{}

func (unauthenticated) Error() string              { return "sign in first" }
func (unauthenticated) Code() domainerr.Code       { return domainerr.CodeUnauthenticated }
func (unauthenticated) Extensions() map[string]any { return nil }

type opaque struct {
	msg string
	err error
}

func (o opaque) Error() string { return o.msg }
func (o opaque) Unwrap() error { return o.err }
