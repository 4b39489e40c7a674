package policy

// This file is the contract between the Go service and the shipped Rego bundle (policies/).
// The JSON tags are the field names Rego sees in `input` and returns in its decisions; change
// both sides together.

// Queries the engine prepares once per revision.
const (
	QueryLead       = "data.qualify.lead.decision"
	QueryTransition = "data.qualify.transition.decision"
	QueryRouting    = "data.qualify.routing.decision"
	QueryAuthz      = "data.qualify.authz.decision"
	QuerySchedule   = "data.qualify.schedule.decision"
	// QueryStages reads the funnel's stage list from the bundle's data.json.
	QueryStages = "data.qualify.stages"
)

// Stage is one funnel stage as declared in data.json (`data.qualify.stages`).
type Stage struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	// Kind is one of open, won, lost, parked.
	Kind string `json:"kind"`
}

// LeadFacts is what the policy sees of a lead.
type LeadFacts struct {
	ID     string `json:"id"`
	Source string `json:"source"` // web_form, newsletter, trade_fair, directory, referral, paid_ad, social, outbound, partner
	Stage  string `json:"stage"`  // current stage key
	// BANT answers: "unknown", "no" or "yes".
	Budget         string  `json:"budget"`
	BudgetAmount   float64 `json:"budget_amount,omitempty"`
	Authority      string  `json:"authority"`
	Need           string  `json:"need"`
	Timing         string  `json:"timing"`
	TimingDate     string  `json:"timing_date,omitempty"` // RFC 3339 date-time, empty when unknown
	EstimatedValue float64 `json:"estimated_value,omitempty"`
	Country        string  `json:"country,omitempty"` // ISO 3166-1 alpha-2, from the lead when it has no account
	CreatedAt      string  `json:"created_at"`        // RFC 3339
	StageEnteredAt string  `json:"stage_entered_at"`  // RFC 3339
	// Manual is the move a person made into the current stage, nil when a policy, an import or
	// the system put the lead there: the policy may let such a decision stand.
	Manual *ManualDecision `json:"manual,omitempty"`
}

// ManualDecision is a stage change a person made (trigger manual or api).
type ManualDecision struct {
	From       string `json:"from"`
	To         string `json:"to"`
	At         string `json:"at"` // RFC 3339
	ReasonCode string `json:"reason_code,omitempty"`
}

// AccountFacts is the firmographic data of the lead's company. Nil when the lead has no account.
type AccountFacts struct {
	ID            string  `json:"id"`
	Domain        string  `json:"domain"`
	Industry      string  `json:"industry"`
	EmployeeCount int     `json:"employee_count"`
	AnnualRevenue float64 `json:"annual_revenue"`
	Country       string  `json:"country"`
	Region        string  `json:"region"` // emea, na, latam, apac
}

// ContactFacts is one person of the lead's account.
type ContactFacts struct {
	ID         string `json:"id"`
	BuyingRole string `json:"buying_role"` // decision_maker, recommender, influencer, user, gatekeeper, unknown
	Seniority  string `json:"seniority"`   // c_level, vp, director, manager, individual, unknown
	// OnLead is true when the contact is linked to the lead itself, false when only to its account.
	OnLead bool `json:"on_lead"`
}

// ActivityFacts is one engagement event.
type ActivityFacts struct {
	Kind       string `json:"kind"`        // newsletter_signup, form_fill, content_download, web_visit, appointment_request, discovery_call, meeting, demo, email_reply, event_visit
	OccurredAt string `json:"occurred_at"` // RFC 3339
}

// ProjectFacts is an identified project at the lead's account.
type ProjectFacts struct {
	ID     string `json:"id"`
	Status string `json:"status"` // planned, scheduled, in_progress, done
}

// LeadInput is `input` of data.qualify.lead.decision.
type LeadInput struct {
	Now        string          `json:"now"` // RFC 3339
	Lead       LeadFacts       `json:"lead"`
	Account    *AccountFacts   `json:"account"`
	Contacts   []ContactFacts  `json:"contacts"`
	Activities []ActivityFacts `json:"activities"`
	Projects   []ProjectFacts  `json:"projects"`
}

// Reason explains points or a recommendation. Points is 0 for reasons that carry none.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Points  int    `json:"points"`
}

// BANT is the policy's reading of budget, authority, need and timing.
type BANT struct {
	Budget    string `json:"budget"`
	Authority string `json:"authority"`
	Need      string `json:"need"`
	Timing    string `json:"timing"`
	// Confirmed counts the "yes" answers (0..4).
	Confirmed int `json:"confirmed"`
	// Status is "qualified", "partial" or "unqualified".
	Status string `json:"status"`
}

// Coverage says which buying roles are known among the lead's and its account's contacts.
type Coverage struct {
	DecisionMaker bool `json:"decision_maker"`
	Recommender   bool `json:"recommender"`
	Influencer    bool `json:"influencer"`
}

// LeadDecision is the result of data.qualify.lead.decision.
type LeadDecision struct {
	FitScore        int      `json:"fit_score"`
	EngagementScore int      `json:"engagement_score"`
	Score           int      `json:"score"`
	Grade           string   `json:"grade"`       // A, B, C, D
	Temperature     string   `json:"temperature"` // hot, warm, cold
	BANT            BANT     `json:"bant"`
	Coverage        Coverage `json:"coverage"`
	ProjectSignal   bool     `json:"project_signal"`
	// Stage is the stage the lead belongs in now.
	Stage string `json:"stage"`
	// DisqualifyReasonCode is set when Stage is "disqualified".
	DisqualifyReasonCode string   `json:"disqualify_reason_code,omitempty"`
	Reasons              []Reason `json:"reasons"`
}

// Actor is who asks for a transition.
type Actor struct {
	ID   string `json:"id"`
	Role string `json:"role"` // marketing, bdr, ae, revops, analyst, admin, system
}

// TransitionInput is `input` of data.qualify.transition.decision.
type TransitionInput struct {
	Lead          LeadFacts    `json:"lead"`
	From          string       `json:"from"`
	To            string       `json:"to"`
	Actor         Actor        `json:"actor"`
	Trigger       string       `json:"trigger"` // manual, auto, api, import, requalify
	ReasonCode    string       `json:"reason_code,omitempty"`
	Reason        string       `json:"reason,omitempty"`
	Qualification LeadDecision `json:"qualification"`
}

// TransitionDecision is the result of data.qualify.transition.decision.
type TransitionDecision struct {
	Allow   bool     `json:"allow"`
	Reasons []Reason `json:"reasons"`
}

// RoutingInput is `input` of data.qualify.routing.decision, asked when a lead reaches sal or sql.
type RoutingInput struct {
	Lead    LeadFacts     `json:"lead"`
	Account *AccountFacts `json:"account"`
	To      string        `json:"to"`
}

// RoutingDecision names the team (and role) whose least-loaded active user takes the lead.
// Fallback lists the teams to try, in order, when Team has no active member of the role.
type RoutingDecision struct {
	Team     string   `json:"team"`
	Role     string   `json:"role"` // bdr or ae
	Reasons  []Reason `json:"reasons"`
	Fallback []string `json:"fallback,omitempty"`
}

// Principal is the authenticated caller.
type Principal struct {
	ID   string `json:"id"`
	Role string `json:"role"`
	Team string `json:"team"`
}

// Operation is what the principal wants to do.
type Operation struct {
	Kind string `json:"kind"` // query, mutation, subscription, admin
	Name string `json:"name"` // GraphQL field name, e.g. "leads", "transitionLead", "publishPolicy"
}

// AuthzInput is `input` of data.qualify.authz.decision.
type AuthzInput struct {
	Principal Principal `json:"principal"`
	Operation Operation `json:"operation"`
}

// AuthzDecision says whether the operation is allowed, and for reads which rows and fields.
type AuthzDecision struct {
	Allow  bool   `json:"allow"`
	Reason string `json:"reason,omitempty"`
	// RowFilter is "all", "team" (rows owned by the principal's team), "own_or_team" (owned by the
	// principal or the principal's team) or "own".
	RowFilter string `json:"row_filter"`
	// Redact lists fields hidden from the principal, e.g. "contact.email", "contact.phone".
	Redact []string `json:"redact"`
}

// ScheduleInput is `input` of data.qualify.schedule.decision: a lead as the clock sees it.
type ScheduleInput struct {
	Now        string          `json:"now"` // RFC 3339
	Lead       LeadFacts       `json:"lead"`
	Activities []ActivityFacts `json:"activities"`
	// QualifiedAt is when the stored qualification was decided (RFC 3339), empty when never.
	QualifiedAt string `json:"qualified_at,omitempty"`
	// Escalated lists the SLA rules already escalated for the lead's current stay in its stage.
	Escalated []string `json:"escalated"`
}

// ScheduleMove is a timed move a rule of config.schedule.moves makes due.
type ScheduleMove struct {
	To         string `json:"to"`
	ReasonCode string `json:"reason_code"`
	Rule       string `json:"rule"`
}

// Escalation is an SLA of config.schedule.slas (or activity_slas) past its deadline.
type Escalation struct {
	Rule   string `json:"rule"`
	Action string `json:"action"` // flag_manager, reassign or reassign_previous_owner
	DueAt  string `json:"due_at"` // RFC 3339
}

// ScheduleDecision is the result of data.qualify.schedule.decision.
type ScheduleDecision struct {
	// Rescore: deciding the lead again may change its qualification (engagement has aged).
	Rescore bool `json:"rescore"`
	// Move is nil when no timed move is due.
	Move        *ScheduleMove `json:"move,omitempty"`
	Escalations []Escalation  `json:"escalations"`
	// NextReviewAt is when a rule may next fall due (RFC 3339), "" when none will.
	NextReviewAt string   `json:"next_review_at"`
	Reasons      []Reason `json:"reasons"`
}
