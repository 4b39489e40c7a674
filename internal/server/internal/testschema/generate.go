// Package testschema is a small gqlgen schema the server's tests run against: fields that fail with
// each kind of error the presenter maps, a slow field, and a recursive type for the limits.
package testschema

//go:generate go tool gqlgen generate --config gqlgen.yml
