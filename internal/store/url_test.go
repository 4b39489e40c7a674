package store

import "testing"

// A space in a URL parameter (options=-c%20…) reaches pgx as a space: pgx reads '+' literally.
func TestConnectTimeoutKeepsSpaces(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@h/db?options=-c%20default_transaction_read_only%3Don",
			"postgres://u@h/db?connect_timeout=5&options=-c%20default_transaction_read_only%3Don"},
		{"postgres://u@h/db?application_name=a%2Bb", "postgres://u@h/db?application_name=a%2Bb&connect_timeout=5"},
		{"postgres://u@h/db?connect_timeout=2&options=-c%20x", "postgres://u@h/db?connect_timeout=2&options=-c%20x"},
	}
	for _, tt := range tests {
		if got := withConnectTimeout(tt.in); got != tt.want {
			t.Errorf("withConnectTimeout(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
