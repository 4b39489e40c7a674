package store_test

import (
	"testing"

	"github.com/qualify/qualify/internal/store"
)

func TestDollarsNumbersAfterTheGivenPlaceholders(t *testing.T) {
	for _, c := range []struct {
		q     string
		after int
		want  string
	}{
		{"SELECT 1", 0, "SELECT 1"},
		{"a = ? AND b IN (?, ?)", 0, "a = $1 AND b IN ($2, $3)"},
		{"x > ? OR y < ?", 2, "x > $3 OR y < $4"},
	} {
		if got := store.Dollars(c.q, c.after); got != c.want {
			t.Errorf("Dollars(%q, %d) = %q, want %q", c.q, c.after, got, c.want)
		}
	}
}
