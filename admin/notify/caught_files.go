package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/notifyv"
)

// mailFile is one attachment of a caught e-mail, decoded.
type mailFile struct {
	Name        string
	ContentType string
	Data        []byte
}

// maxMailDepth bounds the nesting of multipart bodies walked (a mail inside a mail inside …).
const maxMailDepth = 8

// mailFiles returns a raw e-mail's attachments in the order they appear: every leaf part that
// is a download (Content-Disposition: attachment) or carries a file name; the text and HTML
// bodies are not attachments.
func mailFiles(raw []byte) ([]mailFile, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	var out []mailFile
	err = walkParts(textproto(msg.Header), msg.Body, 0, &out)
	return out, err
}

// textproto adapts a mail header to the part headers walkParts reads.
func textproto(h netmail.Header) func(string) string { return h.Get }

func walkParts(header func(string) string, body io.Reader, depth int, out *[]mailFile) error {
	mt, params, _ := mime.ParseMediaType(header("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxMailDepth {
			return nil
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // the transfer encoding is undone below, for every kind
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkParts(p.Header.Get, p, depth+1, out); err != nil {
				return err
			}
		}
	}
	disposition, dparams, _ := mime.ParseMediaType(header("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if disposition != "attachment" && name == "" {
		return nil
	}
	dec := new(mime.WordDecoder)
	if d, err := dec.DecodeHeader(name); err == nil {
		name = d
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(header("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, newlineSkipper{body})
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if name == "" {
		name = "attachment-" + strconv.Itoa(len(*out)+1)
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	*out = append(*out, mailFile{Name: name, ContentType: mt, Data: data})
	return nil
}

// newlineSkipper drops the line breaks base64 bodies are wrapped with (encoding/base64 skips
// \r and \n already; this also drops stray spaces some mailers leave).
type newlineSkipper struct{ r io.Reader }

func (n newlineSkipper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, b := range p[:k] {
		if b != ' ' && b != '\t' {
			p[j] = b
			j++
		}
	}
	return j, err
}

// caughtFiles lists the attachments of the caught e-mails in ids (the list page's and a
// message's), by message. Only mails whose raw text names a file are parsed.
func caughtFiles(ctx context.Context, q db.Querier, ids []int64) (map[int64][]notifyv.CaughtFile, error) {
	rows, err := q.Query(ctx, `SELECT id, raw FROM caught_messages
		WHERE id = ANY($1) AND channel = 'email' AND raw IS NOT NULL AND position('filename'::bytea IN raw) > 0`, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64][]notifyv.CaughtFile{}
	var id int64
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error {
		list, err := mailFiles(raw)
		if err != nil {
			return nil // a mail the catcher kept but cannot parse shows without attachments
		}
		for i, f := range list {
			out[id] = append(out[id], notifyv.CaughtFile{Name: f.Name, Size: int64(len(f.Data)),
				Href: "/notifications/caught/" + strconv.FormatInt(id, 10) + "/files/" + strconv.Itoa(i+1)})
		}
		return nil
	})
	return out, err
}

// CaughtFile downloads the n-th attachment (from 1) of a caught e-mail, parsed from the mail as
// stored. Whoever may read the caught mail may download what it carried, as its recipient got
// it. It is always a download of plain bytes (never shown in place: an HTML or SVG attachment
// must not run in the portal's origin), PDFs and pictures keeping their type.
func (h *Handlers) CaughtFile(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	n, err := web.ParamID(c, "n")
	if err != nil {
		return err
	}
	var raw []byte
	err = h.Pool.QueryRow(web.Ctx(c), `SELECT raw FROM caught_messages WHERE id = $1 AND channel = 'email' AND raw IS NOT NULL`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	list, err := mailFiles(raw)
	if err != nil || n < 1 || n > int64(len(list)) {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	f := list[n-1]
	serveAs := "application/octet-stream"
	if keepType[f.ContentType] {
		serveAs = f.ContentType
	}
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", f.Name))
	c.Set(fiber.HeaderContentType, serveAs)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(f.Data)
}

// keepType are the attachment types served as what they are (still as downloads).
var keepType = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}
