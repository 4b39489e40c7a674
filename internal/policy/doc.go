// Package policy loads, verifies and serves the Rego bundle: it reads the bundle from a
// directory, a bundle service or memory, refuses any version that does not compile, pass its own
// tests and answer in the shape of contract.go, and makes typed decisions on the active version.
package policy
