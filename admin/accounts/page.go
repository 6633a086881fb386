package accounts

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/accountsv"
)

// Durations a block form offers; "" is no end date (or the date typed in).
var Durations = []string{"none", "1d", "3d", "7d", "14d", "30d", "90d"}

var durationDays = map[string]int{"1d": 1, "3d": 3, "7d": 7, "14d": 14, "30d": 30, "90d": 90}

// ordersRead is the orders desk's read permission (rbac/perms_orders.go).
const ordersRead = rbac.Perm("orders:read")

// renderPage loads every section the viewer may see and renders the account page; edit adjusts
// the data (a form with errors, a key shown once) before rendering.
func (h *Handlers) renderPage(c *fiber.Ctx, status int, id ID, edit func(*accountsv.PageData)) error {
	ctx := web.Ctx(c)
	a, err := Get(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	d := accountsv.PageData{Account: toRow(a), Cols: columns(c), Reasons: Reasons, Durations: Durations,
		CanBlock: h.can(c, rbac.AccountsBlock), Form: accountsv.BlockForm{Notify: true, Duration: "none", Functions: map[string]bool{}}}
	for _, f := range Functions {
		if f == FnAcceptOrders && a.Kind != "courier" || f == FnPlaceOrders && a.Kind != "client" || f == FnAPI && !a.Business {
			continue
		}
		d.Functions = append(d.Functions, string(f))
	}
	blocks, err := Blocks(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	now := h.now()
	for _, b := range blocks {
		d.Blocks = append(d.Blocks, blockRow(b, now))
	}
	if d.Deleted, err = deletedInfo(ctx, h, id); err != nil {
		return err
	}
	bal, err := ledger.Balances(ctx, h.Pool, ledger.UserID(id))
	if err != nil {
		return err
	}
	d.Balances = &accountsv.Balances{Available: money.Show(ctx, bal.Available, h.Currency), Held: money.Show(ctx, bal.Held, h.Currency),
		Deposit: money.Show(ctx, bal.Deposit, h.Currency), Promo: money.Show(ctx, bal.Promo, h.Currency)}
	rating, limit, err := Standing(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	d.Balances.Rating = rating
	if limit != nil {
		d.Balances.Limit = money.Show(ctx, *limit, h.Currency)
	}
	if h.can(c, ordersRead) {
		d.OrdersShown = true
		if d.Orders, err = recentOrders(ctx, h.Pool, id, h.Currency); err != nil {
			return err
		}
	}
	if h.can(c, rbac.ComplaintsRead) {
		d.ComplaintsShown = true
		if d.Complaints, err = accountComplaints(ctx, h.Pool, id); err != nil {
			return err
		}
	}
	dups, err := DuplicatesOf(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	for _, g := range dups {
		d.Duplicates = append(d.Duplicates, accountsv.DupRow{Field: g.Field, IDs: g.IDs})
	}
	if a.Business && h.can(c, rbac.APIKeysRead) {
		d.KeysShown, d.CanManageKeys = true, h.can(c, rbac.APIKeysManage)
		keys, err := apikeys.ForAccount(ctx, h.Pool, id)
		if err != nil {
			return err
		}
		for _, k := range keys {
			d.Keys = append(d.Keys, accountsv.KeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, RatePerMin: k.RatePerMin,
				CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt})
		}
	}
	if d.Files, err = accountFiles(ctx, h.Pool, id); err != nil {
		return err
	}
	if h.can(c, rbac.NotificationsRead) {
		d.NoticesShown = true
		list, _, err := notify.List(ctx, h.Pool, notify.Filter{AccountID: id, Limit: 10})
		if err != nil {
			return err
		}
		v := web.Actor(c).View
		for _, n := range list {
			d.Notices = append(d.Notices, accountsv.NoticeRow{ID: n.ID, Channel: string(n.Channel), Address: n.AddressAs(v),
				Template: n.Template, Status: n.Status, Attempts: n.Attempts, LastError: n.LastError, CreatedAt: n.CreatedAt})
		}
	}
	d.CanDelete, d.CanOverride = h.can(c, rbac.AccountsDelete), h.can(c, rbac.AccountsDeleteOverride)
	if d.Deleted == nil && (d.CanDelete || d.CanOverride) {
		o, err := OpenOverride(ctx, h.Pool, id)
		if err != nil {
			return err
		}
		d.OverrideActive = o != 0
	}
	edit(&d)
	return web.Render(c, status, a.Name, accountsv.Page(d))
}

func blockRow(b Block, now time.Time) accountsv.BlockRow {
	r := accountsv.BlockRow{ID: b.ID, Whole: b.Whole(), Reason: b.Reason, ComplaintRef: b.ComplaintRef, Note: b.Note,
		StartsAt: b.StartsAt, EndsAt: b.EndsAt, CreatedBy: b.CreatedBy, Active: b.Active(now), LiftedAt: b.LiftedAt,
		LiftedBy: b.LiftedBy, LiftNote: b.LiftNote, ByEndDate: b.LiftedAt != nil && !b.LiftedByStaff}
	for _, f := range b.Functions {
		r.Functions = append(r.Functions, string(f))
	}
	return r
}

func deletedInfo(ctx context.Context, h *Handlers, id ID) (*accountsv.DeletedInfo, error) {
	d, err := DeletionOf(ctx, h.Pool, id)
	if err != nil || d == nil {
		return nil, err
	}
	return &accountsv.DeletedInfo{At: d.At, By: d.By, Note: d.Note}, nil
}
