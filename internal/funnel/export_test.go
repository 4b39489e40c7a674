package funnel

// SetTrace makes s report each statement it runs (benchmarks print their plans).
func SetTrace(s *Service, f func(query string, args []any)) { s.trace = f }

// StatementSettings are what each analytics statement runs with on PostgreSQL.
const StatementSettings = statementSettings

// SerialSettings are added for the statements of ordered-set aggregates (WITHIN GROUP).
const SerialSettings = serialSettings
