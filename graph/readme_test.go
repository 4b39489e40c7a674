package graph

import (
	"os"
	"regexp"
	"testing"

	"github.com/vektah/gqlparser/v2"
)

// The README's example operations are what users copy first: they must stay valid against the
// schema.
func TestReadmeExamplesValidate(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d GraphQL examples in the README, want one for each user at least", len(blocks))
	}
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for _, b := range blocks {
		if _, errs := gqlparser.LoadQuery(schema, b[1]); len(errs) > 0 {
			t.Errorf("README example does not validate: %v\n%s", errs, b[1])
		}
	}
}
