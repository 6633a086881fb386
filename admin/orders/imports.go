package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/views/filesv"
)

// ImportColumns are the template's columns, in order: the key (also the field an error names),
// the cell kind, and whether a value is required.
var ImportColumns = []struct {
	Key      string
	Kind     xlsx.Kind
	Required bool
}{
	{"external_ref", xlsx.Text, true}, {"client_id", xlsx.Int, true}, {"courier_id", xlsx.Int, false},
	{"sender_name", xlsx.Text, true}, {"sender_phone", xlsx.Text, true}, {"sender_address", xlsx.Text, true},
	{"recipient_name", xlsx.Text, true}, {"recipient_phone", xlsx.Text, true}, {"recipient_address", xlsx.Text, true},
	{"item", xlsx.Text, true}, {"weight", xlsx.Milli, true}, {"declared_value", xlsx.Money, true},
	{"expected_at", xlsx.DateTime, false}, {"comment", xlsx.Text, false},
}

// ImportHeader is the template's header row in lang.
func ImportHeader(lang string) []string {
	h := make([]string, len(ImportColumns))
	for i, c := range ImportColumns {
		h[i] = i18n.In(lang, "orders.import_col."+c.Key)
	}
	return h
}

// ExampleRef begins the external reference of the template's example row. A row whose reference
// begins with it (in any case) is never imported, so a template uploaded unchanged creates no
// order for whichever client the example names.
const ExampleRef = "EXAMPLE"

// IsExample tells whether an external reference marks the template's example row.
func IsExample(ref string) bool {
	return len(ref) >= len(ExampleRef) && strings.EqualFold(ref[:len(ExampleRef)], ExampleRef)
}

// WriteTemplate writes the import template in lang: the headers, an example row (marked by
// ExampleRef), and a help sheet describing each column.
func WriteTemplate(w io.Writer, lang string, now time.Time) error {
	example := map[string]any{
		"external_ref": ExampleRef + "-SHOP-2026-000123", "client_id": int64(1), "courier_id": nil,
		"sender_name": "Олена Коваленко", "sender_phone": "+380501234567", "sender_address": "Київ, вул. Хрещатик, 22",
		"recipient_name": "Әлия Нұрланқызы", "recipient_phone": "+77011234567", "recipient_address": "Алматы, пр. Абая, 10, кв. 5",
		"item": "Книги", "weight": int64(1250), "declared_value": int64(150000), "expected_at": now.AddDate(0, 0, 3).Truncate(time.Hour),
		"comment": "",
	}
	cols := make([]xlsx.TemplateColumn, len(ImportColumns))
	for i, c := range ImportColumns {
		cols[i] = xlsx.TemplateColumn{Header: i18n.In(lang, "orders.import_col."+c.Key), Kind: c.Kind, Required: c.Required,
			Description: i18n.In(lang, "orders.import_help."+c.Key), Example: example[c.Key]}
	}
	t := func(k string) string { return i18n.In(lang, "orders.template."+k) }
	return xlsx.WriteTemplate(w, t("sheet"), xlsx.HelpLabels{Sheet: t("help"), Column: t("column"), Required: t("required"),
		Description: t("description"), Example: t("example"), Yes: t("yes"), No: t("no")}, cols)
}

// ImportArgs asks to import an uploaded workbook.
type ImportArgs struct {
	JobBase
	UploadID int64 `json:"upload_id"` // the uploaded workbook's file record
	// WholeFile refuses the whole file when any row is bad; otherwise good rows are kept.
	WholeFile bool `json:"whole_file"`
}

func (ImportArgs) Kind() string { return "orders_import" }

// RowError is one problem in one row.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"` // a column key
	Reason string `json:"reason"` // a translation key
	Max    int64  `json:"max,omitempty"`
}

// ImportResult is what an import did, stored on its file record.
type ImportResult struct {
	Rows      int           `json:"rows"`
	Created   int           `json:"created"`
	Skipped   int           `json:"skipped"` // already imported (same external reference)
	Bad       int           `json:"bad"`
	Examples  int           `json:"examples,omitempty"` // the template's example rows, never imported
	WholeFile bool          `json:"whole_file"`
	Refused   string        `json:"refused,omitempty"` // the whole file was refused: why (translation key)
	Detail    string        `json:"detail,omitempty"`  // e.g. the header cell that differs
	Errors    []RowError    `json:"errors,omitempty"`
	More      int           `json:"more,omitempty"`
	FailedID  int64         `json:"failed_id,omitempty"`
	Links     []filesv.Link `json:"links,omitempty"`
}

// maxListedErrors is how many row errors the result page lists; the failed-rows file has them all.
const maxListedErrors = 500

type badRow struct {
	row     int
	vals    []any // one per ImportColumns, typed as the template's column (AsText when unreadable)
	reasons []string
}

// RunImport imports the workbook. Nothing is written unless the whole file could be read: a file
// that is not a workbook, too large, a zip bomb, with too many rows or the wrong header is refused
// with a message and changes nothing. Rows are validated first; then, unless the user chose to
// refuse the whole file and some row is bad, the good rows go in one transaction. A row whose
// external reference is already in the database is skipped, so importing twice is harmless.
func (e *Env) RunImport(ctx context.Context, a ImportArgs) error {
	ctx, err := e.asStaff(ctx, a.JobBase)
	if err != nil {
		return err
	}
	res := &ImportResult{WholeFile: a.WholeFile}
	refuse := func(key, detail string) error {
		res.Refused, res.Detail = key, detail
		return e.Files.Fail(ctx, a.FileID, key, res)
	}
	up, err := e.Files.Get(ctx, a.UploadID)
	if err != nil {
		return err
	}
	tmp, size, err := e.download(ctx, up)
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	_ = e.Files.Progress(ctx, a.FileID, 1, "orders.import_checking")

	r, err := xlsx.Open(tmp, size, xlsx.Limits{})
	if err != nil {
		return refuse(openError(err), err.Error())
	}
	defer r.Close()
	if key, detail := checkImportHeader(r.Header(), a.Lang); key != "" {
		return refuse(key, detail)
	}

	tariff, err := LoadTariff(ctx, e.Pool)
	if err != nil {
		return err
	}
	now := clock.Or(e.Now).UTC()
	var rows []parsedRow
	refs := map[string]bool{}
	tick := e.Files.NewTicker(a.FileID, 500*time.Millisecond)
	for r.Next() {
		n, cells := r.Row()
		if len(cells) > len(ImportColumns) {
			cells = cells[:len(ImportColumns)] // the failed-rows workbook's error column
		}
		if blankRow(cells, r.Formula) {
			continue // only the error column was left
		}
		in, fe := parseImportRow(cells, r.Formula, e.zone())
		if IsExample(in.ExternalRef) && fe["external_ref"] == "" {
			res.Examples++
			continue
		}
		res.Rows++
		in.Normalize()
		for k, v := range in.Validate(now) {
			if _, ok := fe[k]; !ok {
				fe[k] = v
			}
		}
		if fe["weight"] == "" && in.WeightGrams > 0 {
			if _, err := tariff.Cost(in.WeightGrams); err != nil {
				fe["weight"] = "orders.weight_over_tariff"
			}
		}
		switch {
		case in.ExternalRef == "" && fe["external_ref"] == "":
			fe["external_ref"] = "orders.required"
		case refs[in.ExternalRef]:
			fe["external_ref"] = "orders.import_duplicate_ref"
		case in.ExternalRef != "":
			refs[in.ExternalRef] = true
		}
		p := parsedRow{row: n, in: in}
		if len(fe) > 0 {
			p.fe, p.vals = fe, failedValues(cells, r.Formula, e.zone())
		}
		rows = append(rows, p)
		if err := tick.Tick(ctx, int64(res.Rows), int64(res.Rows)+1000, "orders.import_checking"); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return refuse("orders.import_unreadable", err.Error())
	}
	if res.Rows == 0 && res.Examples > 0 {
		return refuse("orders.import_only_example", "")
	}
	if res.Rows == 0 {
		return refuse("orders.import_empty", "")
	}

	// The clients and couriers named must exist and may not be blocked: one query for all rows,
	// and a row already wrong for another reason is told about these too.
	if err := e.checkImportParties(ctx, rows); err != nil {
		return err
	}
	// The good rows are compacted in place (no second copy of 100,000 rows); the bad ones keep
	// their cells and reasons.
	good := rows[:0]
	var bad []badRow
	for i := range rows {
		p := rows[i]
		if len(p.fe) == 0 {
			p.cost, _ = tariff.Cost(p.in.WeightGrams)
			good = append(good, p)
			continue
		}
		if p.vals == nil {
			p.vals = inputValues(p.in)
		}
		bad = append(bad, badRow{row: p.row, vals: p.vals, reasons: reasonsOf(p.fe)})
		addErrors(res, p.row, p.fe, tariff.MaxGrams())
	}
	clear(rows[len(good):])
	rows = nil
	_ = e.Files.Progress(ctx, a.FileID, 70, "orders.import_saving")
	res.Bad = len(bad)
	if !(a.WholeFile && len(bad) > 0) && len(good) > 0 {
		created, err := e.insertImported(ctx, good, a.FileID)
		if err != nil {
			return e.fail(ctx, a.FileID, err)
		}
		res.Created = created
		res.Skipped = len(good) - created
	}
	if len(bad) > 0 {
		id, err := e.writeFailedRows(ctx, a, up, r.Header(), bad)
		if err != nil {
			return e.fail(ctx, a.FileID, err)
		}
		res.FailedID = id
		res.Links = []filesv.Link{{Label: "orders.import_failed_rows", Href: "/files/" + strconv.FormatInt(id, 10)}}
	}
	f, err := e.Files.Get(ctx, a.FileID)
	if err != nil {
		return err
	}
	return e.Files.Complete(ctx, a.FileID, f.Name, "", nil, res)
}

// download copies an uploaded workbook from blob storage to a temporary file (the reader needs
// random access).
func (e *Env) download(ctx context.Context, up files.File) (*os.File, int64, error) {
	rc, err := e.Files.Read(ctx, up, false)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "postdesk-import-*.xlsx")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(tmp, io.LimitReader(rc, xlsx.DefaultMaxBytes+1))
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, 0, err
	}
	return tmp, n, nil
}

// openError maps the reader's refusals to messages.
func openError(err error) string {
	switch {
	case errors.Is(err, xlsx.ErrTooLarge):
		return "orders.import_too_large"
	case errors.Is(err, xlsx.ErrZipBomb):
		return "orders.import_zip_bomb"
	case errors.Is(err, xlsx.ErrTooManyRows):
		return "orders.import_too_many_rows"
	case errors.Is(err, xlsx.ErrWrongHeader):
		return "orders.import_wrong_header"
	}
	return "orders.import_not_xlsx"
}

// checkImportHeader accepts the template's header in any of the portal's languages (a file made
// from the Russian template imports for a Ukrainian-speaking colleague), followed or not by the
// failed-rows workbook's error column; the message names the first cell that differs from the
// user's language.
func checkImportHeader(got []string, lang string) (string, string) {
	if n := len(ImportColumns); len(got) > n && isErrorColumn(got[n]) && blank(got[n+1:]) {
		got = got[:n]
	}
	for _, l := range i18n.Langs {
		if equalHeader(got, ImportHeader(l)) {
			return "", ""
		}
	}
	want := ImportHeader(lang)
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			return "orders.import_wrong_header", fmt.Sprintf("%s: %q ≠ %q", columnLetter(i), g, w)
		}
	}
	return "orders.import_wrong_header", ""
}

// isErrorColumn tells whether a header cell is the failed-rows workbook's error column.
func isErrorColumn(h string) bool {
	for _, l := range i18n.Langs {
		if strings.EqualFold(strings.TrimSpace(h), i18n.In(l, "orders.import_error_col")) {
			return true
		}
	}
	return false
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// blankRow tells whether a row's template cells are all empty (no value, no formula).
func blankRow(cells []string, formula func(int) bool) bool {
	for i := range cells {
		if formula(i) {
			return false
		}
	}
	return blank(cells)
}

func equalHeader(got, want []string) bool {
	// Empty trailing cells (formatting someone left to the right) do not count.
	for len(got) > len(want) && strings.TrimSpace(got[len(got)-1]) == "" {
		got = got[:len(got)-1]
	}
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if !strings.EqualFold(strings.TrimSpace(got[i]), want[i]) {
			return false
		}
	}
	return true
}

func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// parseImportRow reads one row's cells (raw values: numbers unformatted, dates as serials). A
// formula cell is refused, whatever its cached result: the user is asked to type the value.
func parseImportRow(cells []string, formula func(int) bool, loc *time.Location) (Input, FieldErrors) {
	fe := FieldErrors{}
	get := func(key string) string {
		for i, c := range ImportColumns {
			if c.Key == key && i < len(cells) {
				if formula(i) {
					fe[key] = "orders.import_formula"
					return ""
				}
				return strings.TrimSpace(cells[i])
			}
		}
		return ""
	}
	in := Input{ExternalRef: get("external_ref"), SenderName: get("sender_name"), SenderPhone: phoneCell(get("sender_phone")),
		SenderAddress: get("sender_address"), RecipientName: get("recipient_name"), RecipientPhone: phoneCell(get("recipient_phone")),
		RecipientAddress: get("recipient_address"), Item: get("item"), Comment: get("comment")}
	id := func(key string) int64 {
		s := get(key)
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 || f != float64(int64(f)) {
			fe[key] = "orders.bad_id"
			return 0
		}
		return int64(f)
	}
	in.ClientID, in.CourierID = id("client_id"), id("courier_id")
	if s := get("weight"); s != "" {
		g, err := ParseKg(s)
		if err != nil {
			fe["weight"] = kgMessage(err)
		}
		in.WeightGrams = g
	}
	if s := get("declared_value"); s != "" {
		v, err := xlsx.ParseMinor(s)
		if err != nil {
			fe["declared_value"] = apperr.MessageOf(err) // says what to type
		}
		in.DeclaredValue = v
	} else if fe["declared_value"] == "" {
		fe["declared_value"] = "orders.required"
	}
	if s := get("expected_at"); s != "" {
		t, err := xlsx.ParseTime(s, loc)
		if err != nil {
			fe["expected_at"] = "orders.bad_date"
		}
		in.ExpectedAt = t.UTC()
	}
	return in, fe
}

// phoneCell undoes what Excel does to a phone typed into a number cell ("380501234567" or
// "3.80501234567E+11" come back as digits).
func phoneCell(s string) string {
	if strings.ContainsAny(s, "eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'f', 0, 64)
		}
	}
	return s
}

func reasonsOf(fe FieldErrors) []string {
	var out []string
	for _, k := range fe.Fields() {
		out = append(out, k+": "+fe[k])
	}
	return out
}

func addErrors(res *ImportResult, row int, fe FieldErrors, maxGrams int64) {
	for _, k := range fe.Fields() {
		if len(res.Errors) >= maxListedErrors {
			res.More++
			continue
		}
		e := RowError{Row: row, Column: k, Reason: fe[k]}
		if fe[k] == "orders.weight_over_tariff" {
			e.Max = maxGrams
		}
		res.Errors = append(res.Errors, e)
	}
}

// parsedRow is one data row as read: its input and, when wrong, its errors and cells as typed.
type parsedRow struct {
	row  int
	in   Input
	cost int64
	fe   FieldErrors
	vals []any // a bad row's cells, typed for the failed-rows workbook
}

// checkImportParties adds an error to every row whose client or courier is missing, of the wrong
// kind, blocked (the whole account, or the function the row needs) or deleted.
func (e *Env) checkImportParties(ctx context.Context, rows []parsedRow) error {
	ids := map[int64]bool{}
	for _, p := range rows {
		if p.in.ClientID > 0 {
			ids[p.in.ClientID] = true
		}
		if p.in.CourierID > 0 {
			ids[p.in.CourierID] = true
		}
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	// block: the party's own function (a client's placing of orders, a courier's accepting of
	// them) blocked: "whole", "function" or "".
	type party struct{ kind, status, block string }
	known := map[int64]party{}
	q, err := e.Pool.Query(ctx, `SELECT a.id, a.kind, a.status,
			coalesce((SELECT CASE WHEN b.functions = '{}' THEN 'whole' ELSE 'function' END FROM account_blocks b
				WHERE b.account_id = a.id AND b.lifted_at IS NULL AND (b.ends_at IS NULL OR b.ends_at > now())
				  AND (b.functions = '{}' OR (CASE a.kind WHEN 'client' THEN 'place_orders' ELSE 'accept_orders' END) = ANY (b.functions))
				ORDER BY b.functions = '{}' DESC LIMIT 1), '')
		FROM accounts a WHERE a.id = ANY($1)`, list)
	if err != nil {
		return err
	}
	for q.Next() {
		var id int64
		var p party
		if err := q.Scan(&id, &p.kind, &p.status, &p.block); err != nil {
			q.Close()
			return err
		}
		known[id] = p
	}
	q.Close()
	if err := q.Err(); err != nil {
		return err
	}
	check := func(p *parsedRow, field string, id int64, kind string) {
		if id <= 0 || p.fe[field] != "" {
			return
		}
		msg := ""
		switch a, ok := known[id]; {
		case !ok || a.kind != kind:
			msg = "orders.not_found_" + kind
		case a.status == "blocked" || a.block == "whole":
			msg = "orders.blocked_" + kind
		case a.status == "deleted":
			msg = "orders.deleted_" + kind
		case a.block == "function" && kind == "client":
			msg = "orders.blocked_place_orders"
		case a.block == "function":
			msg = "orders.blocked_accept_orders"
		}
		if msg != "" {
			if p.fe == nil {
				p.fe = FieldErrors{}
			}
			p.fe[field] = msg
		}
	}
	for i := range rows {
		check(&rows[i], "client_id", rows[i].in.ClientID, "client")
		check(&rows[i], "courier_id", rows[i].in.CourierID, "courier")
	}
	return nil
}

// inputValues rebuilds a row for the failed-rows file from its parsed input, typed as the
// template's columns.
func inputValues(in Input) []any {
	var courier, expected any
	if in.CourierID > 0 {
		courier = in.CourierID
	}
	if !in.ExpectedAt.IsZero() {
		expected = in.ExpectedAt
	}
	return []any{in.ExternalRef, in.ClientID, courier, in.SenderName, in.SenderPhone, in.SenderAddress,
		in.RecipientName, in.RecipientPhone, in.RecipientAddress, in.Item, in.WeightGrams,
		in.DeclaredValue, expected, in.Comment}
}

// failedValues types a bad row's cells as the template's columns, so the failed-rows workbook
// has real numbers and dates where they could be read and the cell as typed where not (a formula
// comes back as its result, as text, with the error asking for the value).
func failedValues(cells []string, formula func(int) bool, loc *time.Location) []any {
	out := make([]any, len(ImportColumns))
	for i, c := range ImportColumns {
		if i >= len(cells) || strings.TrimSpace(cells[i]) == "" {
			continue
		}
		raw := strings.TrimSpace(cells[i])
		out[i] = xlsx.AsText(raw)
		if formula(i) {
			continue
		}
		switch c.Kind {
		case xlsx.Text:
			out[i] = cells[i]
		case xlsx.Int:
			if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
				out[i] = n
			}
		case xlsx.Milli:
			if g, err := ParseKg(raw); err == nil {
				out[i] = g
			}
		case xlsx.Money:
			if v, err := xlsx.ParseMinor(raw); err == nil {
				out[i] = v
			}
		case xlsx.DateTime, xlsx.Date:
			if t, err := xlsx.ParseTime(raw, loc); err == nil {
				out[i] = t
			}
		}
	}
	return out
}

// insertImported writes the good rows in one transaction: COPY into a temporary table, then one
// INSERT … ON CONFLICT DO NOTHING that skips references already imported, the first history line
// of every new order and its audit entry. It returns how many orders were created.
func (e *Env) insertImported(ctx context.Context, good []parsedRow, fileID int64) (int, error) {
	a := actor.From(ctx)
	created := 0
	err := pgx.BeginFunc(ctx, e.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_orders (
				row_no int, external_ref text, client_id bigint, courier_id bigint, sender_name text, sender_phone text,
				sender_address text, recipient_name text, recipient_phone text, recipient_address text, item text,
				weight_grams int, declared_value bigint, cost bigint, expected_at timestamptz, comment text) ON COMMIT DROP`); err != nil {
			return err
		}
		i := 0
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_orders"}, []string{"row_no", "external_ref", "client_id", "courier_id",
			"sender_name", "sender_phone", "sender_address", "recipient_name", "recipient_phone", "recipient_address", "item",
			"weight_grams", "declared_value", "cost", "expected_at", "comment"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if i >= len(good) {
					return nil, nil
				}
				g := good[i]
				i++
				var courier any
				if g.in.CourierID > 0 {
					courier = g.in.CourierID
				}
				return []any{g.row, g.in.ExternalRef, g.in.ClientID, courier, g.in.SenderName, g.in.SenderPhone, g.in.SenderAddress,
					g.in.RecipientName, g.in.RecipientPhone, g.in.RecipientAddress, g.in.Item, int32(g.in.WeightGrams),
					g.in.DeclaredValue, g.cost, nullTime(g.in.ExpectedAt), g.in.Comment}, nil
			}))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			WITH ins AS (
				INSERT INTO orders (external_ref, client_id, courier_id, sender_name, sender_phone, sender_address,
					recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost, expected_at,
					comment, created_by)
				SELECT external_ref, client_id, courier_id, sender_name, sender_phone, sender_address, recipient_name,
					recipient_phone, recipient_address, item, weight_grams, declared_value, cost, expected_at, comment, $1
				FROM import_orders ORDER BY row_no
				ON CONFLICT (external_ref) WHERE external_ref IS NOT NULL DO NOTHING
				RETURNING id, number, external_ref, client_id, cost
			), hist AS (
				INSERT INTO order_status_history (order_id, staff_id, from_status, to_status, note)
				SELECT id, $1, NULL, 'created', 'import' FROM ins
			)
			INSERT INTO audit_log (actor_id, actor_email, action, record_type, record_id, after, ip, request_id)
			SELECT $1, $2, 'order.import', 'order', number,
				jsonb_build_object('file_id', $3::bigint, 'external_ref', external_ref, 'client_id', client_id, 'cost', cost), '', ''
			FROM ins`, a.ID, a.Email, fileID)
		if err != nil {
			return err
		}
		created = int(tag.RowsAffected())
		return nil
	})
	return created, err
}

// writeFailedRows saves the bad rows as the template: its sheet, its columns in their order,
// kinds and formats (numbers, real dates), and one more column at the end saying what is wrong
// (with the row's number in the uploaded file). The importer ignores that column, so the file
// imports again once fixed.
func (e *Env) writeFailedRows(ctx context.Context, a ImportArgs, up files.File, header []string, bad []badRow) (int64, error) {
	parent, err := e.Files.Get(ctx, a.FileID)
	if err != nil {
		return 0, err
	}
	name := i18n.In(a.Lang, "orders.import_failed_name") + " " + strings.TrimSuffix(up.Name, ".xlsx") + ".xlsx"
	return e.Files.AttachGenerated(ctx, parent, "orders_import_failed", name, XLSXType, func(w io.Writer) error {
		xw, err := xlsx.NewWriter(w, i18n.In(a.Lang, "orders.template.sheet"), e.zone())
		if err != nil {
			return err
		}
		var cols []xlsx.Column
		for i, h := range ImportHeader(a.Lang) {
			cols = append(cols, xlsx.Column{Title: h, Kind: ImportColumns[i].Kind})
		}
		cols = append(cols, xlsx.Column{Title: i18n.In(a.Lang, "orders.import_error_col"), Width: 60})
		if err := xw.SetColumns(cols); err != nil {
			return err
		}
		vals := make([]any, len(cols))
		n := len(ImportColumns)
		for _, b := range bad {
			copy(vals, b.vals)
			var reasons []string
			for _, r := range b.reasons {
				field, key, _ := strings.Cut(r, ": ")
				reasons = append(reasons, i18n.In(a.Lang, "orders.import_col."+field)+": "+i18n.In(a.Lang, key, "Max", FormatKg(70000)))
			}
			vals[n] = i18n.In(a.Lang, "orders.import_row") + " " + strconv.Itoa(b.row) + ": " + strings.Join(reasons, "; ")
			if err := xw.WriteRow(ctx, vals...); err != nil {
				return err
			}
		}
		return xw.Close()
	})
}

// DecodeImportResult reads an import's result from its file record.
func DecodeImportResult(raw json.RawMessage) ImportResult {
	var r ImportResult
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r)
	}
	return r
}
