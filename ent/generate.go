// Package ent holds the generated ent client of Qualify's data model; the schema is in ./schema.
package ent

//go:generate go run -mod=mod ./entc.go
