// Package actor carries who is acting (a staff member, or the system) through a context.Context,
// so stores can record it in the audit log and apply the right field rules.
package actor

import (
	"context"
	"time"

	"github.com/postdesk/postdesk/rbac"
)

// Actor is the staff member behind a request, with the request's address and id.
type Actor struct {
	ID        int64
	Email     string
	Name      string
	Lang      string
	Roles     []string
	IP        string
	RequestID string
	View      rbac.View
	// Loc is the platform's zone, in which this actor reads and types dates.
	Loc *time.Location
	// MustChangePassword sends the user to change it before anything else.
	MustChangePassword bool
	// MustEnrolTwoFactor: a group of theirs requires two factors and they have not enrolled yet;
	// like a password change, it comes before anything else.
	MustEnrolTwoFactor bool
}

type ctxKey struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a *Actor) context.Context { return context.WithValue(ctx, ctxKey{}, a) }

// From returns the actor in ctx, or nil when the system acts on its own (a job, a migration).
func From(ctx context.Context) *Actor {
	a, _ := ctx.Value(ctxKey{}).(*Actor)
	return a
}

// StaffID is the acting staff member's id, for a nullable column (created_by, decided_by…), or nil
// when the system acts on its own (a sweep, a job, a key).
func StaffID(ctx context.Context) *int64 {
	if a := From(ctx); a != nil && a.ID != 0 {
		return &a.ID
	}
	return nil
}

// Zone is the platform's zone of the actor in ctx (UTC when nobody set one).
func Zone(ctx context.Context) *time.Location {
	if a := From(ctx); a != nil && a.Loc != nil {
		return a.Loc
	}
	return time.UTC
}

// ViewOf returns the field view of the actor in ctx; the system sees everything.
func ViewOf(ctx context.Context) rbac.View {
	if a := From(ctx); a != nil {
		return a.View
	}
	return rbac.FullView()
}
