//go:build ignore

// Command gqlgen generates the GraphQL executor (graph/generated.go) as `gqlgen generate` does,
// with the fields of every object but the root ones resolved on the goroutine that marshals the
// object, and the elements of a list one after another, instead of a goroutine each.
//
// Why: entgql loads a page's edges with the page (a lead's account and contacts come with the
// leads), so nearly every field below the root reads memory. gqlgen v0.17 still starts a
// goroutine for each field bound to a method taking a context (ent's edge methods, Lead.stage
// from the stage cache) and for each element of a list of objects: about 450 for a page of 50
// leads with their contacts, whose stacks grow and are scanned by the collector. The CPU profile
// of that page (make bench-serve --profile) put stack growth at 10% and the scheduler and GC
// behind most of the rest. Root fields (Query's) keep running side by side, as gqlgen does.
//
// gqlgen has no option for either (Object.DisableConcurrency is set for Mutation only;
// upstream's proposal is github.com/99designs/gqlgen/issues/4321), so a plugin sets the flag and
// two lines of the generated file are rewritten; a line that is not found stops the generation.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		log.Fatalf("gqlgen config: %v", err)
	}
	if err := api.Generate(cfg, api.AddPlugin(inlineFields{})); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
	if err := serialLists(cfg.Exec.Filename); err != nil {
		log.Fatal(err)
	}
}

// inlineFields resolves the fields of every non-root object inline.
type inlineFields struct{}

func (inlineFields) Name() string { return "inlinefields" }

func (inlineFields) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if !o.Root {
			o.DisableConcurrency = true
		}
	}
	return nil
}

// serialLists points the generated list marshalling at graph.marshalSerially, and drops the
// per-object @defer bookkeeping (a path, a field set and a map for each object marshalled): with
// no field resolved concurrently, none is ever deferred (the spec lets a server ignore @defer).
func serialLists(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if bytes.Contains(src, []byte("out.ResolveConcurrently(")) {
		return fmt.Errorf("%s: a non-root field is still resolved concurrently: see graph/gqlgen.go", file)
	}
	for _, r := range []struct{ from, to string }{
		{"graphql.MarshalSliceConcurrently(", "marshalSerially("},
		{"deferred := graphql.NewDeferredGroup(ctx)", "var deferred graphql.DeferredGroup"},
	} {
		if !bytes.Contains(src, []byte(r.from)) {
			return fmt.Errorf("%s: no %s any more: see graph/gqlgen.go", file, r.from)
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	return os.WriteFile(file, src, 0o644)
}
