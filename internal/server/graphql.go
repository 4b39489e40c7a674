package server

import (
	"context"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// graphqlHandler builds the gqlgen handler: transports, caches, limits, error presenter, panic
// recovery and the metrics extension.
func (s *Server) graphqlHandler(deps Deps) http.Handler {
	srv := handler.New(deps.Schema)

	ws := transport.Websocket{
		KeepAlivePingInterval: s.cfg.WebsocketKeepAlive, // graphql-ws
		PingPongInterval:      s.cfg.WebsocketKeepAlive, // graphql-transport-ws
		InitFunc:              deps.WebsocketInit,
		InitTimeout:           s.cfg.RequestTimeout,
		PayloadReadLimit:      &s.cfg.MaxBodyBytes,
		ErrorFunc: func(ctx context.Context, err error) {
			s.log.DebugContext(ctx, "websocket error", "err", err, "request_id", RequestID(ctx))
		},
	}
	ws.Implementation = closeOnShutdown{inner: acceptAnyOrigin(), closing: s.closing}
	srv.AddTransport(ws)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// File uploads (importLeads) per the GraphQL multipart request spec; limitBody bounds them.
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: s.cfg.MaxUploadBytes, MaxMemory: 8 << 20})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](s.cfg.QueryCacheSize))
	if s.cfg.Production {
		srv.SetDisableSuggestion(true)
		srv.SetValidationRulesFn(func() *rules.Rules {
			r := rules.NewDefaultRules()
			r.AddRule("QualifyNoIntrospection", noIntrospection)
			return r
		})
	} else {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](s.cfg.APQCacheSize)})
	srv.Use(depthLimit{max: s.cfg.MaxDepth})
	srv.Use(newComplexityLimit(s.cfg.ComplexityLimit, s.cfg.QueryCacheSize))
	srv.Use(observer{metrics: s.metrics})
	if deps.TracerProvider != nil {
		srv.Use(tracer{deps.TracerProvider.Tracer(tracerName)})
	}
	for _, ext := range deps.Extensions {
		srv.Use(ext)
	}

	srv.SetRecoverFunc(s.recoverPanic)
	srv.SetParserTokenLimit(s.cfg.ParserTokenLimit)
	srv.SetErrorPresenter(s.presentError)
	return srv
}

// acceptAnyOrigin is gqlgen's default websocket implementation with the library's origin check
// off: Server.websocket checks the origin before the upgrade, against Config.AllowedOrigins (the
// library's own check would refuse every origin but the server's host).
func acceptAnyOrigin() transport.CoderWebsocketImplementation {
	var impl transport.CoderWebsocketImplementation
	impl.AcceptOptions.InsecureSkipVerify = true
	return impl
}

// websocketGoingAway is the close code of a server that shuts down (RFC 6455).
const websocketGoingAway = 1001

// closeOnShutdown closes a websocket (1001, going away) when the server shuts down. gqlgen closes
// running connections when their context ends, but not one still waiting for connection_init.
type closeOnShutdown struct {
	inner   transport.WebsocketImplementation
	closing context.Context
}

func (c closeOnShutdown) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := c.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	// Server.websocket cancels the request's context when closing is, and when the handler returns.
	context.AfterFunc(r.Context(), func() {
		if c.closing.Err() != nil {
			_ = conn.WriteClose(websocketGoingAway, "server shutting down")
		}
	})
	return conn, nil
}

// recoverPanic logs a resolver's panic with its stack and turns it into errPanicked, which the
// presenter reports as INTERNAL without detail.
func (s *Server) recoverPanic(ctx context.Context, v any) error {
	attrs := []any{"panic", v, "request_id", RequestID(ctx), "operation", operationOf(ctx),
		"stack", string(debug.Stack())}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		attrs = append(attrs, "path", fc.Path().String())
	}
	s.log.ErrorContext(ctx, "panic while resolving", attrs...)
	return errPanicked
}

// noIntrospection is a validation rule that refuses __schema and __type (in production), so the
// refusal is a GRAPHQL_VALIDATION_FAILED with a location rather than gqlgen's run-time field error.
func noIntrospection(observers *core.Events, addError core.AddErrFunc) {
	observers.OnField(func(_ *core.Walker, field *ast.Field) {
		if field.Name == "__schema" || field.Name == "__type" {
			addError(core.Message("introspection is disabled"), core.At(field.Position))
		}
	})
}
