package auth

import (
	"context"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/qualify/qualify/internal/principal"
)

// WebsocketInit authenticates a subscription connection from its connection_init payload:
// {"Authorization": "Bearer …"} (any case) or {"authToken": "…"}. A connection whose upgrade
// request already carried a valid Authorization header needs neither.
func (a *Authenticator) WebsocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	cred := payload.Authorization()
	if cred == "" {
		cred = payload.GetString("authorization")
	}
	if cred == "" {
		cred = payload.GetString("authToken")
	}
	if cred == "" {
		if _, ok := principal.From(ctx); ok {
			return ctx, nil, nil
		}
		return ctx, nil, ErrNoCredentials
	}
	p, err := a.Authenticate(ctx, cred)
	if err != nil {
		return ctx, nil, err
	}
	return principal.With(ctx, p), nil, nil
}
