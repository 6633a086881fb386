package actor

import (
	"context"
	"log/slog"
)

// LogHandler adds the request id and staff id of the actor in the context to every log line, so
// a line written deep in a desk's store can be traced to its request.
type LogHandler struct{ slog.Handler }

func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if a := From(ctx); a != nil {
		if a.RequestID != "" {
			r.AddAttrs(slog.String("request_id", a.RequestID))
		}
		if a.ID != 0 {
			r.AddAttrs(slog.Int64("staff_id", a.ID))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
