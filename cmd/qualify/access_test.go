package main

import (
	"strings"
	"testing"
)

// Development mode refuses a PostgreSQL database unless forced.
func TestServeDevRefusesDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://someone@db.example:5432/prod")
	out, err := run(t, "serve", "--dev", "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "--force-dev") {
		t.Fatalf("serve --dev with DATABASE_URL: err %v\n%s", err, out)
	}
}
