package orders

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/rbac"
)

// Order is an order as the viewer may see it: hidden fields are empty (money zero and flagged
// unseen by the view), masked ones masked.
type Order struct {
	ID               int64
	Number           string
	Waybill          string
	ExternalRef      string
	ClientID         int64
	ClientName       string
	CourierID        int64 // 0: none
	CourierName      string
	SenderName       string
	SenderPhone      string
	SenderAddress    string
	RecipientName    string
	RecipientPhone   string
	RecipientAddress string
	Item             string
	WeightGrams      int64
	DeclaredValue    int64
	Cost             int64
	ExpectedAt       time.Time // zero: not set
	Comment          string
	Status           Status
	CreatedAt        time.Time
	UpdatedAt        time.Time
	DeliveredAt      time.Time // zero: not delivered
}

// governed are the columns field rules apply to, in select order. A field the viewer cannot see is
// replaced by an empty literal, so it never leaves the database.
var governed = []struct {
	record, field, expr, empty string
}{
	{"account", "name", "(SELECT name FROM accounts a WHERE a.id = o.client_id)", "''"},
	{"account", "name", "coalesce((SELECT name FROM accounts a WHERE a.id = o.courier_id), '')", "''"},
	{Record, "sender_name", "o.sender_name", "''"},
	{Record, "sender_phone", "o.sender_phone", "''"},
	{Record, "sender_address", "o.sender_address", "''"},
	{Record, "recipient_name", "o.recipient_name", "''"},
	{Record, "recipient_phone", "o.recipient_phone", "''"},
	{Record, "recipient_address", "o.recipient_address", "''"},
	{Record, "declared_value", "o.declared_value", "0::bigint"},
	{Record, "cost", "o.cost", "0::bigint"},
	{Record, "comment", "o.comment", "''"},
}

func selectList(v rbac.View) string { return selectListNames(v, true) }

// selectListNames is selectList; without names, the client's and courier's names are left empty
// for the caller to fill from a cache (an export of a million rows looks each account up once).
func selectListNames(v rbac.View, names bool) string {
	var b strings.Builder
	b.WriteString(`o.id, o.number, o.waybill, coalesce(o.external_ref, ''), o.client_id, coalesce(o.courier_id, 0),
		o.item, o.weight_grams::bigint, coalesce(o.expected_at, 'epoch'), o.status, o.created_at, o.updated_at,
		coalesce(o.delivered_at, 'epoch')`)
	for i, g := range governed {
		b.WriteString(", ")
		if v.Sees(g.record, g.field) && (names || i >= 2) {
			b.WriteString(g.expr)
		} else {
			b.WriteString(g.empty)
		}
	}
	return b.String()
}

// scanner reads rows of selectList and applies masks.
type scanner struct {
	v rbac.View
}

func (s scanner) scan(row pgx.Row, o *Order) error {
	var expected, delivered time.Time
	var status string
	if err := row.Scan(&o.ID, &o.Number, &o.Waybill, &o.ExternalRef, &o.ClientID, &o.CourierID,
		&o.Item, &o.WeightGrams, &expected, &status, &o.CreatedAt, &o.UpdatedAt, &delivered,
		&o.ClientName, &o.CourierName, &o.SenderName, &o.SenderPhone, &o.SenderAddress,
		&o.RecipientName, &o.RecipientPhone, &o.RecipientAddress, &o.DeclaredValue, &o.Cost, &o.Comment); err != nil {
		return err
	}
	o.Status = Status(status)
	if expected.Unix() != 0 {
		o.ExpectedAt = expected
	}
	if delivered.Unix() != 0 {
		o.DeliveredAt = delivered
	}
	v := s.v
	o.ClientName = v.Apply("account", "name", o.ClientName)
	o.CourierName = v.Apply("account", "name", o.CourierName)
	o.SenderName = v.Apply(Record, "sender_name", o.SenderName)
	o.SenderPhone = v.Apply(Record, "sender_phone", o.SenderPhone)
	o.SenderAddress = v.Apply(Record, "sender_address", o.SenderAddress)
	o.RecipientName = v.Apply(Record, "recipient_name", o.RecipientName)
	o.RecipientPhone = v.Apply(Record, "recipient_phone", o.RecipientPhone)
	o.RecipientAddress = v.Apply(Record, "recipient_address", o.RecipientAddress)
	o.Comment = v.Apply(Record, "comment", o.Comment)
	if !v.Reads(Record, "declared_value") {
		o.DeclaredValue = 0
	}
	if !v.Reads(Record, "cost") {
		o.Cost = 0
	}
	return nil
}

func collect(rows pgx.Rows, v rbac.View) ([]Order, error) {
	defer rows.Close()
	s := scanner{v}
	var out []Order
	for rows.Next() {
		var o Order
		if err := s.scan(rows, &o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Get loads one order by its number, as the actor in ctx may see it.
func Get(ctx context.Context, q db.Querier, number string) (Order, error) {
	return getBy(ctx, q, "o.number = $1", strings.ToUpper(strings.TrimSpace(number)))
}

func getBy(ctx context.Context, q db.Querier, cond string, arg any) (Order, error) {
	v := actor.ViewOf(ctx)
	rows, err := q.Query(ctx, "SELECT "+selectList(v)+" FROM orders o WHERE "+cond, arg)
	if err != nil {
		return Order{}, err
	}
	list, err := collect(rows, v)
	if err != nil {
		return Order{}, err
	}
	if len(list) == 0 {
		return Order{}, apperr.New(apperr.NotFound, "orders.not_found")
	}
	return list[0], nil
}

// FindNumber resolves an order or waybill number typed in full to the order's number ("" when
// there is none): the scanner at the counter reads a waybill barcode and lands on the order.
func FindNumber(ctx context.Context, q db.Querier, s string) (string, error) {
	s = normalizeNumber(s)
	if s == "" {
		return "", nil
	}
	var number string
	err := q.QueryRow(ctx, `SELECT number FROM orders WHERE waybill = $1 UNION ALL SELECT number FROM orders WHERE number = $1 LIMIT 1`, s).Scan(&number)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return number, err
}

// normalizeNumber uppercases a typed number and drops what cannot be part of one, so that
// "pd 0000 0012" finds PD00000012.
func normalizeNumber(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r == '-':
			return r
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return -1
	}, s)
}

// SearchColumn says which number a typed search is: order numbers begin with letters (PD…),
// waybill numbers are digits.
func SearchColumn(q string) string {
	if q != "" && q[0] >= '0' && q[0] <= '9' {
		return "waybill"
	}
	return "number"
}

// Filter narrows the list. Zero values match everything.
type Filter struct {
	Q         string // order or waybill number: exact, or its beginning
	Status    Status
	ClientID  int64
	CourierID int64
	// Period says which date From and To apply to: "created" (default) or "delivered".
	Period   string
	From, To time.Time // [From, To)
	Sort     string    // a column key with Sort set; "" is created
	Asc      bool
	After    string // keyset cursor from the previous page
	Limit    int
}

// sortType is the SQL type of each sort expression, for reading a cursor back.
var sortType = map[string]string{"created_at": "timestamptz", "number": "text", "waybill": "text",
	"weight_grams": "integer", "declared_value": "bigint", "cost": "bigint"}

// where builds the WHERE clause and ORDER BY for f, refusing sorts the viewer may not use.
func (f *Filter) where(v rbac.View, args pgx.NamedArgs) (where, order, sortExpr string, err error) {
	conds := []string{"true"}
	if q := normalizeNumber(f.Q); q != "" {
		// A byte-wise range scan on the number's unique index serves exact and prefix alike.
		args["qlo"], args["qhi"] = q, q+"~"
		conds = append(conds, "o."+SearchColumn(q)+" >= @qlo AND o."+SearchColumn(q)+" < @qhi")
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return "", "", "", apperr.InvalidField("status", "orders.status_unknown")
		}
		args["status"] = string(f.Status)
		conds = append(conds, "o.status = @status")
	}
	if f.ClientID > 0 {
		args["client"] = f.ClientID
		conds = append(conds, "o.client_id = @client")
	}
	if f.CourierID > 0 {
		args["courier"] = f.CourierID
		conds = append(conds, "o.courier_id = @courier")
	}
	col := "o.created_at"
	if f.Period == "delivered" {
		col = "o.delivered_at"
	}
	if !f.From.IsZero() {
		args["from"] = f.From
		conds = append(conds, col+" >= @from")
	}
	if !f.To.IsZero() {
		args["to"] = f.To
		conds = append(conds, col+" < @to")
	}

	sortExpr = "created_at"
	if f.Sort != "" && f.Sort != "created" {
		c, ok := ColumnByKey(f.Sort)
		if !ok || c.Sort == "" {
			return "", "", "", apperr.InvalidField("sort", "orders.sort_unknown")
		}
		if !c.Sortable(v) {
			return "", "", "", &apperr.Error{Code: apperr.Forbidden, Message: "orders.sort_refused", Field: f.Sort}
		}
		sortExpr = c.Sort
	}
	dir, cmp := "DESC", "<"
	if f.Asc {
		dir, cmp = "ASC", ">"
	}
	if f.After != "" {
		val, id, ok := strings.Cut(f.After, "~")
		n, err := strconv.ParseInt(id, 10, 64)
		cval, verr := cursorValue(val, sortType[sortExpr])
		if !ok || err != nil || verr != nil {
			return "", "", "", apperr.InvalidField("after", "orders.bad_cursor")
		}
		args["cval"], args["cid"] = cval, n
		conds = append(conds, fmt.Sprintf("(o.%s, o.id) %s (@cval::%s, @cid)", sortExpr, cmp, sortType[sortExpr]))
	}
	return strings.Join(conds, " AND "), fmt.Sprintf("o.%s %s, o.id %s", sortExpr, dir, dir), sortExpr, nil
}

// cursorValue reads a cursor's sort value as its column's type, so a cursor typed by hand
// ("abc~1") is refused here rather than failing the cast in PostgreSQL.
func cursorValue(val, sqlType string) (any, error) {
	switch sqlType {
	case "timestamptz":
		return time.Parse(time.RFC3339Nano, val)
	case "integer":
		return strconv.ParseInt(val, 10, 32)
	case "bigint":
		return strconv.ParseInt(val, 10, 64)
	}
	return val, nil
}

// cursor is the keyset position after o for the sort expression.
func cursor(o Order, sortExpr string) string {
	var val string
	switch sortExpr {
	case "number":
		val = o.Number
	case "waybill":
		val = o.Waybill
	case "weight_grams":
		val = strconv.FormatInt(o.WeightGrams, 10)
	case "declared_value":
		val = strconv.FormatInt(o.DeclaredValue, 10)
	case "cost":
		val = strconv.FormatInt(o.Cost, 10)
	default:
		val = o.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	return val + "~" + strconv.FormatInt(o.ID, 10)
}

// List returns one page of orders and the cursor of the next page ("" at the end).
func List(ctx context.Context, q db.Querier, f Filter) ([]Order, string, error) {
	v := actor.ViewOf(ctx)
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	args := pgx.NamedArgs{"limit": f.Limit + 1}
	where, order, sortExpr, err := f.where(v, args)
	if err != nil {
		return nil, "", err
	}
	rows, err := q.Query(ctx, "SELECT "+selectList(v)+" FROM orders o WHERE "+where+" ORDER BY "+order+" LIMIT @limit", args)
	if err != nil {
		return nil, "", err
	}
	list, err := collect(rows, v)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = cursor(list[len(list)-1], sortExpr)
	}
	return list, next, nil
}

// Count counts the orders matching f (for an export's progress bar).
func Count(ctx context.Context, q db.Querier, f Filter) (int64, error) {
	v := actor.ViewOf(ctx)
	args := pgx.NamedArgs{}
	f.After = ""
	where, _, _, err := f.where(v, args)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.QueryRow(ctx, "SELECT count(*) FROM orders o WHERE "+where, args).Scan(&n)
	return n, err
}

// Each streams every order matching f, in the list's order, through a server-side cursor fetched
// in batches: memory stays flat for a million rows. The viewer's field rules apply as in List.
// The next batch is fetched while fn works through the current one, so the database and the
// caller (an Excel writer) run side by side; client and courier names come from a cache filled
// once per batch, not from a lookup per row.
func Each(ctx context.Context, pool Beginner, f Filter, fn func(o *Order) error) error {
	v := actor.ViewOf(ctx)
	args := pgx.NamedArgs{}
	f.After = ""
	where, order, _, err := f.where(v, args)
	if err != nil {
		return err
	}
	seesNames := v.Sees("account", "name")
	names := map[int64]string{}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DECLARE orders_export NO SCROLL CURSOR FOR SELECT "+selectListNames(v, false)+
			" FROM orders o WHERE "+where+" ORDER BY "+order, args); err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		batches := make(chan []Order, 1)
		free := make(chan []Order, 2)
		free <- make([]Order, 0, eachBatch)
		free <- make([]Order, 0, eachBatch)
		fetchErr := make(chan error, 1)
		// The fetcher owns the transaction until it stops; the names are looked up in it too.
		go func() {
			defer close(batches)
			s := scanner{v}
			for {
				var batch []Order
				select {
				case batch = <-free:
				case <-ctx.Done():
					fetchErr <- ctx.Err()
					return
				}
				batch = batch[:0]
				rows, err := tx.Query(ctx, "FETCH FORWARD "+strconv.Itoa(eachBatch)+" FROM orders_export")
				if err != nil {
					fetchErr <- err
					return
				}
				for rows.Next() {
					batch = append(batch, Order{})
					if err := s.scan(rows, &batch[len(batch)-1]); err != nil {
						rows.Close()
						fetchErr <- err
						return
					}
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					fetchErr <- err
					return
				}
				if len(batch) == 0 {
					fetchErr <- nil
					return
				}
				if seesNames {
					if err := fillNames(ctx, tx, batch, names); err != nil {
						fetchErr <- err
						return
					}
					for i := range batch {
						o := &batch[i]
						o.ClientName = v.Apply("account", "name", names[o.ClientID])
						if o.CourierID != 0 {
							o.CourierName = v.Apply("account", "name", names[o.CourierID])
						}
					}
				}
				batches <- batch
			}
		}()
		var fnErr error
		for batch := range batches {
			if fnErr == nil {
				for i := range batch {
					if fnErr = fn(&batch[i]); fnErr != nil {
						cancel()
						break
					}
				}
			}
			free <- batch
		}
		err := <-fetchErr
		if fnErr != nil {
			return fnErr
		}
		return err
	})
}

const eachBatch = 5000

// fillNames adds to the cache the names of the batch's clients and couriers it does not have yet.
func fillNames(ctx context.Context, q db.Querier, batch []Order, names map[int64]string) error {
	var missing []int64
	for i := range batch {
		for _, id := range []int64{batch[i].ClientID, batch[i].CourierID} {
			if _, ok := names[id]; !ok && id != 0 {
				names[id] = ""
				missing = append(missing, id)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM accounts WHERE id = ANY($1)`, missing)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
	}
	return rows.Err()
}

// Beginner starts transactions (a pool).
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// DB is a pool: queries and transactions.
type DB interface {
	db.Querier
	Beginner
}

// HistoryEntry is one status change.
type HistoryEntry struct {
	At        time.Time
	StaffName string
	From      Status // "" for the order's creation
	To        Status
	Note      string
}

// History returns an order's status changes, oldest first (by time, then by entry).
func History(ctx context.Context, q db.Querier, orderID int64) ([]HistoryEntry, error) {
	rows, err := q.Query(ctx, `SELECT h.at, coalesce(s.name, ''), coalesce(h.from_status, ''), h.to_status, h.note
		FROM order_status_history h LEFT JOIN staff s ON s.id = h.staff_id
		WHERE h.order_id = $1 ORDER BY h.at, h.id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var e HistoryEntry
		var from, to string
		if err := rows.Scan(&e.At, &e.StaffName, &from, &to, &e.Note); err != nil {
			return nil, err
		}
		e.From, e.To = Status(from), Status(to)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LoadTariff reads the tariff bands.
func LoadTariff(ctx context.Context, q db.Querier) (Tariff, error) {
	rows, err := q.Query(ctx, `SELECT max_grams::bigint, price FROM tariff_bands ORDER BY max_grams`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Band])
}

// CheckParties checks the client exists, is a client and is not blocked or deleted, and the
// courier, when given, likewise. Problems go into fe under the form's field names.
func CheckParties(ctx context.Context, q db.Querier, in *Input, fe FieldErrors) error {
	check := func(field string, id int64, kind string) error {
		if id <= 0 {
			return nil
		}
		var k, status string
		err := q.QueryRow(ctx, `SELECT kind, status FROM accounts WHERE id = $1`, id).Scan(&k, &status)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || err == nil && k != kind:
			fe[field] = "orders.not_found_" + kind
		case err != nil:
			return err
		case status == "blocked":
			fe[field] = "orders.blocked_" + kind
		case status == "deleted":
			fe[field] = "orders.deleted_" + kind
		default:
			// A block of the function alone (or a whole block not yet reflected in the status).
			fn := accounts.FnPlaceOrders
			if kind == "courier" {
				fn = accounts.FnAcceptOrders
			}
			err := accounts.CheckFunction(ctx, q, accounts.ID(id), fn)
			var ae *apperr.Error
			switch {
			case errors.As(err, &ae) && ae.Message == "accounts.blocked.account":
				fe[field] = "orders.blocked_" + kind
			case errors.As(err, &ae) && ae.Code == apperr.Conflict:
				fe[field] = "orders.blocked_" + string(fn)
			case err != nil:
				return err
			}
		}
		return nil
	}
	if err := check("client_id", in.ClientID, "client"); err != nil {
		return err
	}
	return check("courier_id", in.CourierID, "courier")
}

// InsertTx writes one order entered by hand, in the caller's transaction: validated, priced by
// the tariff, with its first history line and an audit entry. It moves no money: admin/lifecycle,
// which owns every order's life, calls it and places the client's hold in the same transaction.
// A FieldErrors error lists what to fix.
func InsertTx(ctx context.Context, tx pgx.Tx, in Input, now time.Time) (id int64, number string, err error) {
	in.Normalize()
	fe := in.Validate(now)
	if fe == nil {
		fe = FieldErrors{}
	}
	if err := CheckParties(ctx, tx, &in, fe); err != nil {
		return 0, "", err
	}
	tariff, err := LoadTariff(ctx, tx)
	if err != nil {
		return 0, "", err
	}
	cost, err := tariff.Cost(in.WeightGrams)
	if err != nil && fe["weight"] == "" {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			fe["weight"] = ae.Message
		}
	}
	if in.ExternalRef != "" && fe["external_ref"] == "" {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orders WHERE external_ref = $1)`, in.ExternalRef).Scan(&exists); err != nil {
			return 0, "", err
		}
		if exists {
			fe["external_ref"] = "orders.external_ref_taken"
		}
	}
	if len(fe) > 0 {
		return 0, "", fe
	}
	err = tx.QueryRow(ctx, `INSERT INTO orders (external_ref, client_id, courier_id, sender_name, sender_phone, sender_address,
			recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost, expected_at, comment, created_by, created_at, updated_at)
		VALUES (nullif($1, ''), $2, nullif($3, 0), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
		RETURNING id, number`,
		in.ExternalRef, in.ClientID, in.CourierID, in.SenderName, in.SenderPhone, in.SenderAddress,
		in.RecipientName, in.RecipientPhone, in.RecipientAddress, in.Item, in.WeightGrams, in.DeclaredValue, cost,
		nullTime(in.ExpectedAt), in.Comment, actor.StaffID(ctx), now).Scan(&id, &number)
	if err != nil {
		return 0, "", err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO order_status_history (order_id, at, staff_id, from_status, to_status, note)
		VALUES ($1, $2, $3, NULL, 'created', '')`, id, now, actor.StaffID(ctx)); err != nil {
		return 0, "", err
	}
	return id, number, audit.Record(ctx, tx, "order.create", Record, number, nil, map[string]any{
		"number": number, "client_id": in.ClientID, "courier_id": in.CourierID, "weight_grams": in.WeightGrams,
		"declared_value": in.DeclaredValue, "cost": cost, "external_ref": in.ExternalRef, "no_promo": in.NoPromo,
	})
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// MoveRequest is a status change as staff ask for it on the order page (or a client through the
// API); admin/lifecycle decides whether it is allowed and what it costs.
type MoveRequest struct {
	To   Status
	Note string
	// CourierID assigns the courier who accepted the order, with the move to deal; on an order
	// already in deal, a different courier is a change of courier.
	CourierID int64
	// Reason is why a move to moderation opens its case ("manual" when empty).
	Reason string
}

// Lifecycle is what the orders pages need of admin/lifecycle, which owns every status change of an
// order and the money it moves. The composition root sets it on the handlers (admin/lifecycle
// imports this package, so this package cannot import it).
type Lifecycle interface {
	// Create enters an order and holds its cost from the client, in one transaction.
	Create(ctx context.Context, in Input, now time.Time) (Order, error)
	// Move applies one action from the order page.
	Move(ctx context.Context, number string, m MoveRequest, now time.Time) error
	// MoveMany applies one move to many orders (the list's bulk action): each order's error, nil
	// when it moved.
	MoveMany(ctx context.Context, numbers []string, to Status, note string, now time.Time) ([]error, error)
	// BulkTargets are the statuses the list offers for a bulk move.
	BulkTargets() []Status
	// Moves lists the statuses the order page offers for the order (none while it is in moderation).
	Moves(o Order) []Status
	// CaseReasons lists the reasons a case may open for from a status.
	CaseReasons(s Status) []string
	// OpenCase is the id of the open moderation case of an order in moderation (0: none).
	OpenCase(ctx context.Context, orderID int64) (int64, error)
}

// Columns of a staff member's list, as saved (nil when never chosen).
func SavedColumns(ctx context.Context, q db.Querier, staffID int64) ([]string, error) {
	var cols []string
	err := q.QueryRow(ctx, `SELECT columns FROM staff_list_columns WHERE staff_id = $1 AND list = 'orders'`, staffID).Scan(&cols)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return cols, err
}

// ColumnsFor returns the columns the actor in ctx sees, in their order: their saved choice less
// anything their field rules no longer let them see, or the defaults.
func ColumnsFor(ctx context.Context, q db.Querier) ([]string, error) {
	var saved []string
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		var err error
		if saved, err = SavedColumns(ctx, q, a.ID); err != nil {
			return nil, err
		}
	}
	return CleanColumns(saved, actor.ViewOf(ctx)), nil
}

// SaveColumns stores the actor's choice of columns (unknown or invisible keys are dropped).
func SaveColumns(ctx context.Context, q db.Querier, keys []string) ([]string, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return nil, apperr.New(apperr.Unauthorized, "error.login_required")
	}
	cols := CleanColumns(keys, a.View)
	_, err := q.Exec(ctx, `INSERT INTO staff_list_columns (staff_id, list, columns) VALUES ($1, 'orders', $2)
		ON CONFLICT (staff_id, list) DO UPDATE SET columns = EXCLUDED.columns, updated_at = now()`, a.ID, cols)
	return cols, err
}

// ResetColumns forgets the actor's choice.
func ResetColumns(ctx context.Context, q db.Querier) error {
	a := actor.From(ctx)
	if a == nil {
		return nil
	}
	_, err := q.Exec(ctx, `DELETE FROM staff_list_columns WHERE staff_id = $1 AND list = 'orders'`, a.ID)
	return err
}
