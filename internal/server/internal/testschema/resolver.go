package testschema

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// Resolver is the root resolver; New builds the executable schema around one.
type Resolver struct {
	touched atomic.Int64
}

// New returns the executable test schema.
func New() graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{}})
}

// Mutation returns MutationResolver implementation.
func (r *Resolver) Mutation() MutationResolver { return &mutationResolver{r} }

// Node returns NodeResolver implementation.
func (r *Resolver) Node() NodeResolver { return &nodeResolver{r} }

// Query returns QueryResolver implementation.
func (r *Resolver) Query() QueryResolver { return &queryResolver{r} }

type (
	mutationResolver struct{ *Resolver }
	nodeResolver     struct{ *Resolver }
	queryResolver    struct{ *Resolver }
)

func (r *mutationResolver) Touch(ctx context.Context) (int, error) {
	return int(r.touched.Add(1)), nil
}

func (r *nodeResolver) Child(ctx context.Context, obj *Node) (*Node, error) {
	return &Node{ID: obj.ID + 1}, nil
}

func (r *nodeResolver) Children(ctx context.Context, obj *Node, first int) ([]*Node, error) {
	out := make([]*Node, first)
	for i := range out {
		out[i] = &Node{ID: obj.ID*10 + i}
	}
	return out, nil
}

func (r *queryResolver) Hello(ctx context.Context, name *string) (string, error) {
	if name == nil {
		return "hello, world", nil
	}
	return "hello, " + *name, nil
}

func (r *queryResolver) Fail(ctx context.Context, kind FailKind) (*string, error) {
	return nil, failure(kind)
}

func (r *queryResolver) Slow(ctx context.Context, ms int) (*string, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		done := "done"
		return &done, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("slow: %w", ctx.Err())
	}
}

func (r *queryResolver) Echo(ctx context.Context, input EchoInput) (string, error) {
	return input.Email, nil
}

func (r *queryResolver) Strict(ctx context.Context, value Strict) (string, error) {
	return string(value), nil
}

func (r *queryResolver) Node(ctx context.Context) (*Node, error) {
	return &Node{ID: 1}, nil
}
