// Package enqueue is the narrow part of River's client that desks use: inserting jobs on the
// transaction they already hold, so a job exists exactly when its data does. Desks never import
// jobs; the composition root hands them the client through this interface.
package enqueue

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Inserter inserts River jobs on the caller's transaction (*river.Client[pgx.Tx] is one).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Of returns the client as an Inserter, or a nil Inserter when there is no client (a nil pointer
// inside an interface would pass every nil check and panic on use).
func Of(c *river.Client[pgx.Tx]) Inserter {
	if c == nil {
		return nil
	}
	return c
}

type ctxKey struct{}

// With returns ctx carrying ins: the web side puts the process's client on every request's
// context (admin/server.go), so code deep in a desk (a notice written in a block's transaction)
// queues its delivery without a package-level client.
func With(ctx context.Context, ins Inserter) context.Context {
	if ins == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, ins)
}

// From returns the inserter in ctx: the one With put there, or inside a River worker the client
// running the job. Nil when there is neither (the outbox sweep then picks the rows up).
func From(ctx context.Context) Inserter {
	if ins, ok := ctx.Value(ctxKey{}).(Inserter); ok {
		return ins
	}
	if c, err := river.ClientFromContextSafely[pgx.Tx](ctx); err == nil && c != nil {
		return c
	}
	return nil
}
