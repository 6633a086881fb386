package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders for thumbnails
	"image/jpeg"
	_ "image/png"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
)

// Policy says what a record accepts as attachments.
type Policy struct {
	MaxBytes int64
	// Types are the accepted content types, as detected from the bytes (never the browser's word).
	Types []string
	// MaxFiles caps the attachments on one record.
	MaxFiles int
}

// DefaultPolicy accepts photos, PDFs, office documents and text up to 10 MB, 50 per record.
var DefaultPolicy = Policy{
	MaxBytes: 10 << 20,
	MaxFiles: 50,
	Types: []string{
		"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	},
}

// Thumbnail limits: pictures larger than MaxPixels are refused before decoding (a decompression
// bomb is a small PNG of a huge canvas), thumbnails fit in ThumbSize pixels.
const (
	MaxPixels = 50_000_000
	ThumbSize = 240
)

// Upload is a file someone attaches to a record.
type Upload struct {
	Owner      int64
	RecordType string
	RecordID   string
	Name       string
	Size       int64 // as the request declared it; the bytes read are counted too
	Body       io.Reader
}

// Attach checks an upload against the policy (size, detected type), stores it (and a thumbnail
// for a picture), records it and writes the audit entry. Refusals are apperr.Invalid with a message
// the user can act on.
func (s *Store) Attach(ctx context.Context, up Upload, p Policy) (File, error) {
	if p.MaxBytes <= 0 {
		p = DefaultPolicy
	}
	if up.Size > p.MaxBytes {
		return File{}, &apperr.Error{Code: apperr.Invalid, Field: "file", Message: "files.too_large", Args: map[string]any{"MB": p.MaxBytes >> 20}}
	}
	if up.Size == 0 {
		return File{}, apperr.InvalidField("file", "files.empty")
	}
	if p.MaxFiles > 0 {
		var n int
		if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM files WHERE kind = 'attachment' AND record_type = $1 AND record_id = $2`,
			up.RecordType, up.RecordID).Scan(&n); err != nil {
			return File{}, err
		}
		if n >= p.MaxFiles {
			return File{}, &apperr.Error{Code: apperr.Invalid, Field: "file", Message: "files.too_many", Args: map[string]any{"Max": p.MaxFiles}}
		}
	}
	// Read one byte past the limit: a body longer than it declared is refused all the same.
	data, err := io.ReadAll(io.LimitReader(up.Body, p.MaxBytes+1))
	if err != nil {
		return File{}, err
	}
	if int64(len(data)) > p.MaxBytes {
		return File{}, &apperr.Error{Code: apperr.Invalid, Field: "file", Message: "files.too_large", Args: map[string]any{"MB": p.MaxBytes >> 20}}
	}
	if len(data) == 0 {
		return File{}, apperr.InvalidField("file", "files.empty")
	}
	ct := mimetype.Detect(data).String()
	ct, _, _ = strings.Cut(ct, ";")
	if !slices.Contains(p.Types, ct) {
		return File{}, &apperr.Error{Code: apperr.Invalid, Field: "file", Message: "files.type_refused", Args: map[string]any{"Type": ct}}
	}
	var thumb []byte
	if strings.HasPrefix(ct, "image/") && ct != "image/webp" {
		if thumb, err = Thumbnail(data, ThumbSize); err != nil {
			return File{}, &apperr.Error{Code: apperr.Invalid, Field: "file", Message: "files.bad_image"}
		}
	}
	name := SafeName(up.Name)

	var f File
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO files (owner_staff_id, kind, record_type, record_id, name, content_type, size, state, percent, finished_at)
			VALUES (nullif($1, 0), 'attachment', $2, $3, $4, $5, $6, 'done', 100, now()) RETURNING id`,
			up.Owner, up.RecordType, up.RecordID, name, ct, len(data)).Scan(&f.ID); err != nil {
			return err
		}
		key := s.newKey("attachments/"+up.RecordType, f.ID, extOf(name))
		if _, err := s.put(ctx, key, ct, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
		thumbKey := ""
		if thumb != nil {
			thumbKey = key + ".thumb.jpg"
			if _, err := s.put(ctx, thumbKey, "image/jpeg", func(w io.Writer) error { _, err := w.Write(thumb); return err }); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE files SET blob_key = $2, thumb_key = $3 WHERE id = $1`, f.ID, key, thumbKey); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "file.attach", up.RecordType, up.RecordID, nil,
			map[string]any{"file_id": f.ID, "name": name, "content_type": ct, "size": len(data)})
	})
	if err != nil {
		return File{}, err
	}
	return s.Get(ctx, f.ID)
}

// Attachments lists a record's attachments, oldest first.
func (s *Store) Attachments(ctx context.Context, recordType, recordID string) ([]File, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+columns+` FROM files f LEFT JOIN staff s ON s.id = f.owner_staff_id
		WHERE f.kind = 'attachment' AND f.record_type = $1 AND f.record_id = $2 ORDER BY f.id`, recordType, recordID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (File, error) { return scanFile(r) })
}

// Attachment loads one attachment, only if it belongs to the record: the caller has already
// checked the user may see that record, and the file id alone proves nothing.
func (s *Store) Attachment(ctx context.Context, recordType, recordID string, id int64) (File, error) {
	f, err := s.Get(ctx, id)
	if err != nil {
		return File{}, err
	}
	if f.Kind != KindAttachment || f.RecordType != recordType || f.RecordID != recordID {
		return File{}, apperr.New(apperr.NotFound, "files.not_found")
	}
	return f, nil
}

// SafeName keeps a file name readable and harmless: no folders, no control characters, at most
// 120 characters, never empty.
func SafeName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if r := []rune(name); len(r) > 120 {
		ext := extOf(name)
		name = string(r[:120-len([]rune(ext))]) + ext
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// Thumbnail decodes a JPEG, PNG or GIF and returns a JPEG that fits in size×size, averaging the
// source pixels under each thumbnail pixel (no aliasing) on a white background (for transparency).
func Thumbnail(data []byte, size int) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, errors.New("files: image too large")
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := min(1, float64(size)/float64(max(w, h)))
	tw, th := max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	for ty := 0; ty < th; ty++ {
		y0, y1 := b.Min.Y+ty*h/th, b.Min.Y+max((ty+1)*h/th, ty*h/th+1)
		for tx := 0; tx < tw; tx++ {
			x0, x1 := b.Min.X+tx*w/tw, b.Min.X+max((tx+1)*w/tw, tx*w/tw+1)
			var r, g, bl, n uint64
			// Sample at most 4×4 points per cell: plenty for a thumbnail, fast for big photos.
			sx, sy := max(1, (x1-x0)/4), max(1, (y1-y0)/4)
			for y := y0; y < y1; y += sy {
				for x := x0; x < x1; x += sx {
					cr, cg, cb, ca := src.At(x, y).RGBA()
					// Composite over white.
					cr, cg, cb = cr+(0xffff-ca), cg+(0xffff-ca), cb+(0xffff-ca)
					r, g, bl, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), n+1
				}
			}
			dst.Set(tx, ty, color.RGBA{uint8(r / n >> 8), uint8(g / n >> 8), uint8(bl / n >> 8), 255})
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 82}); err != nil {
		return nil, fmt.Errorf("files: thumbnail: %w", err)
	}
	return out.Bytes(), nil
}

// Stored is a file kept as it came (an upload a job will read), owned and expiring like a
// generated file.
type Stored struct {
	Owner       int64
	Kind        string
	Name        string
	ContentType string
	Body        io.Reader
	TTL         time.Duration
}

// Store keeps an upload in blob storage and records it.
func (s *Store) Store(ctx context.Context, in Stored) (File, error) {
	if in.TTL <= 0 {
		in.TTL = DefaultTTL
	}
	var id int64
	if err := s.Pool.QueryRow(ctx, `INSERT INTO files (owner_staff_id, kind, name, content_type, state, expires_at, notified)
		VALUES (nullif($1, 0), $2, $3, $4, 'running', now() + $5::interval, true) RETURNING id`,
		in.Owner, in.Kind, SafeName(in.Name), in.ContentType, in.TTL.String()).Scan(&id); err != nil {
		return File{}, err
	}
	key := s.newKey("uploads", id, extOf(in.Name))
	size, err := s.put(ctx, key, in.ContentType, func(w io.Writer) error { _, err := io.Copy(w, in.Body); return err })
	if err != nil {
		return File{}, err
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE files SET state = 'done', percent = 100, size = $2, blob_key = $3, finished_at = now() WHERE id = $1`,
		id, size, key); err != nil {
		return File{}, err
	}
	return s.Get(ctx, id)
}
