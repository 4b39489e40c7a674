package policyadmin

import (
	"fmt"
	"strings"
	"time"

	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
)

// CodeNotSupported is returned for an operation the configured policy source does not allow,
// such as publishing while the bundle comes from a bundle service.
const CodeNotSupported domainerr.Code = "NOT_SUPPORTED"

// DraftError refuses a draft that does not verify: VALIDATION_FAILED, with the problems (file,
// row, col, message) and failed tests in extensions.
type DraftError struct {
	Report *policy.Report
}

func (e *DraftError) Error() string {
	var parts []string
	for _, p := range e.Report.Problems {
		parts = append(parts, p.String())
	}
	for _, t := range e.Report.Tests {
		if !t.Pass && !t.Skip {
			parts = append(parts, "test failed: "+t.Package+"."+t.Name)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "refused")
	}
	return "policy draft refused: " + strings.Join(parts, "; ")
}

// Code implements domainerr.Coded.
func (e *DraftError) Code() domainerr.Code { return domainerr.CodeValidation }

// Extensions implements domainerr.Coded.
func (e *DraftError) Extensions() map[string]any {
	probs := make([]map[string]any, len(e.Report.Problems))
	for i, p := range e.Report.Problems {
		probs[i] = map[string]any{"file": p.File, "row": p.Row, "col": p.Col, "message": p.Message}
	}
	var failed []string
	for _, t := range e.Report.Tests {
		if !t.Pass && !t.Skip {
			failed = append(failed, t.Package+"."+t.Name)
		}
	}
	return map[string]any{"field": "draft", "problems": probs, "failedTests": failed}
}

// notSupported is an operation refused by configuration.
type notSupported string

func (e notSupported) Error() string              { return string(e) }
func (e notSupported) Code() domainerr.Code       { return CodeNotSupported }
func (e notSupported) Extensions() map[string]any { return nil }
func invalidDraft(reason string) *domainerr.ValidationError {
	return domainerr.Validation("draft", reason)
}

// CodeTimeout is the code of a request stopped by (or, as a TooSlowError, before) its deadline,
// as the server reports the requests its timeout cuts off.
const CodeTimeout domainerr.Code = "TIMEOUT"

// TooSlowError stops a simulation whose pace shows it cannot finish within its request's
// deadline. Simulations that large belong to startSimulation (a background job), to the CLI,
// which has no deadline, or to a narrower where.
type TooSlowError struct {
	Leads     int
	Projected time.Duration
	Allowed   time.Duration
}

func (e *TooSlowError) Error() string {
	return fmt.Sprintf("simulating %d leads would take about %s, more than the %s a request may take: "+
		"start it in the background with startSimulation (follow it by simulation(id)), narrow where, or run `qualify policy simulate`", e.Leads, e.Projected.Round(time.Second), e.Allowed.Round(time.Second))
}

// Code implements domainerr.Coded.
func (e *TooSlowError) Code() domainerr.Code { return CodeTimeout }

// Extensions implements domainerr.Coded.
func (e *TooSlowError) Extensions() map[string]any {
	return map[string]any{"leads": e.Leads, "projectedMs": e.Projected.Milliseconds(), "allowedMs": e.Allowed.Milliseconds(),
		"instead": "startSimulation"}
}
