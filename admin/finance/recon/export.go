package recon

import (
	"context"
	"io"
	"time"

	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

// Export writes a statement's results as a workbook, streaming a page at a time. titles are the
// column titles in the reader's language; kindName names an outcome.
func Export(ctx context.Context, q db.Querier, statementID int64, w io.Writer, loc *time.Location, titles []string, kindName func(Kind) string) error {
	x, err := xlsx.NewWriter(w, "Reconciliation", loc)
	if err != nil {
		return err
	}
	kinds := []xlsx.Kind{xlsx.Text, xlsx.Text, xlsx.Int, xlsx.Int, xlsx.Money, xlsx.Money, xlsx.DateTime, xlsx.Text, xlsx.Text, xlsx.Int}
	cols := make([]xlsx.Column, len(kinds))
	for i, k := range kinds {
		cols[i] = xlsx.Column{Title: titles[i], Kind: k}
	}
	if err := x.SetColumns(cols); err != nil {
		return err
	}
	var after int64
	for {
		page, next, err := Results(ctx, q, statementID, ResultFilter{After: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, r := range page {
			var at time.Time
			if r.At != nil {
				at = *r.At
			}
			if err := x.WriteRow(ctx, kindName(r.Kind), r.Reference, deref32(r.LineNo), deref(r.Transfer), deref(r.GatewayAmount),
				deref(r.LedgerAmount), at, r.Resolution, r.Note, deref(r.Correcting)); err != nil {
				return err
			}
		}
		if next == 0 {
			break
		}
		after = next
	}
	return x.Close()
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func deref32(p *int32) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}
