package orders

import (
	"context"
	"io"
	"strconv"

	"github.com/postdesk/postdesk/admin/actor"
	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/rbac"
)

// The platform API asks for the same documents as staff do, for a business client: a job whose
// JobBase names the client (ClientID) acts as that client, who sees their own orders whole and
// nothing of anyone else's.

// asClient is the context of a job a client asked for through the API.
func (e *Env) asClient(ctx context.Context, b JobBase) context.Context {
	a := &actor.Actor{Email: "client:" + strconv.FormatInt(b.ClientID, 10), Lang: b.Lang, View: rbac.FullView()}
	return i18n.WithLang(actor.With(ctx, a), b.Lang)
}

// onlyClient keeps the client's own orders when the job is a client's (all of them otherwise).
func onlyClient(b JobBase, list []Order) []Order {
	if b.ClientID == 0 {
		return list
	}
	out := list[:0]
	for _, o := range list {
		if o.ClientID == b.ClientID {
			out = append(out, o)
		}
	}
	return out
}

// WriteWaybillsPDF writes the orders' waybills, perSheet to an A4 sheet, in lang: what the
// waybills job writes, for callers that answer a small batch at once.
func (e *Env) WriteWaybillsPDF(w io.Writer, lang string, list []Order, perSheet int) error {
	ws := make([]pdfdoc.Waybill, len(list))
	for i := range list {
		ws[i] = e.waybill(&list[i])
	}
	return pdfdoc.WriteWaybills(w, Labels(lang), ws, perSheet)
}

// ClientAct is the handover act of a.ClientID's parcels (the act job's content), for callers that
// answer a small act at once; WriteAct writes it.
func (e *Env) ClientAct(ctx context.Context, a ActArgs) (pdfdoc.HandoverAct, error) {
	return e.buildAct(e.asClient(ctx, a.JobBase), a)
}

// WriteAct writes a handover act in lang.
func WriteAct(w io.Writer, lang string, act pdfdoc.HandoverAct) error {
	return pdfdoc.WriteHandoverAct(w, Labels(lang), act)
}
