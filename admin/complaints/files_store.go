package complaints

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/views/complaintsv"
)

// The complaint page's reads of files and of who may be assigned (handlers hold no SQL).

// Files lists the complaint's files without their bytes.
func Files(ctx context.Context, q db.Querier, id int64) ([]FileRow, error) {
	rows, err := q.Query(ctx, `SELECT id, kind, name, length(data), created_at FROM complaint_files WHERE complaint_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[FileRow])
}

// supportStaff lists who may be assigned.
func supportStaff(ctx context.Context, q db.Querier) ([]complaintsv.Option, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT s.id, s.name FROM staff s JOIN staff_group_members m ON m.staff_id = s.id
		JOIN staff_groups g ON g.id = m.group_id WHERE s.active AND g.role IN ('support_agent', 'support_lead') ORDER BY s.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (complaintsv.Option, error) {
		var id int64
		var o complaintsv.Option
		err := r.Scan(&id, &o.Label)
		o.Value = itoa(id)
		return o, err
	})
}

// FileData reads one of the complaint's files: its name, the type read from its bytes, and the bytes.
func FileData(ctx context.Context, q db.Querier, complaintID, fileID int64) (string, string, []byte, error) {
	var name, ct string
	var data []byte
	err := q.QueryRow(ctx, `SELECT name, content_type, data FROM complaint_files WHERE id = $1 AND complaint_id = $2`, fileID, complaintID).Scan(&name, &ct, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil, apperr.New(apperr.NotFound, "error.not_found")
	}
	return name, ct, data, err
}
