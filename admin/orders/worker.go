package orders

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/rbac"
)

// Env is what the desk's background jobs need; jobs/orders_*.go builds one per process.
type Env struct {
	Pool     *pgxpool.Pool
	Files    *files.Store
	TZ       *time.Location
	Currency string
	Now      func() time.Time // the portal's clock
}

// JobBase is carried by every orders job: the file it fills, and who asked, in which language.
// The job acts as that staff member, so their field rules shape the file as they shape the page.
type JobBase struct {
	FileID  int64  `json:"file_id"`
	StaffID int64  `json:"staff_id"`
	Lang    string `json:"lang"`
	// ClientID, when set, is the business client who asked through the API (client_docs.go).
	ClientID int64 `json:"client_id,omitempty"`
}

// FileRecord is the file the job fills.
func (b JobBase) FileRecord() int64 { return b.FileID }

// asStaff is the context a job works in: the staff member's identity and field view, now (their
// groups' rules may have changed since they asked), and their language.
func (e *Env) asStaff(ctx context.Context, b JobBase) (context.Context, error) {
	if b.ClientID != 0 {
		return e.asClient(ctx, b), nil
	}
	a := &actor.Actor{ID: b.StaffID, Lang: b.Lang, View: rbac.View{}}
	if err := e.Pool.QueryRow(ctx, `SELECT email, name FROM staff WHERE id = $1`, b.StaffID).Scan(&a.Email, &a.Name); err != nil {
		return nil, err
	}
	v, err := rbac.LoadView(ctx, e.Pool, b.StaffID)
	if err != nil {
		return nil, err
	}
	a.View = v
	return i18n.WithLang(actor.With(ctx, a), b.Lang), nil
}

func (e *Env) zone() *time.Location {
	if e.TZ == nil {
		return time.UTC
	}
	return e.TZ
}

// base builds the job base for the request's actor.
func base(a *actor.Actor, lang string) JobBase {
	return JobBase{StaffID: a.ID, Lang: lang}
}
