package complaints

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/admin/notify"
)

// letterReachesComplainant delivers the complainant's decision notice with the real SMTP client
// to the portal's mail catcher (a real SMTP server) and checks that the e-mail carries the
// decision letter: the same PDF bytes as stored, with the complaint's number in its text.
func (f *fixture) letterReachesComplainant(id int64, number string) {
	t, ctx := f.t, context.Background()
	var notice int64
	var stored []byte
	must(t, f.pool.QueryRow(ctx, `SELECT cn.notification_id, cf.data FROM complaint_notices cn JOIN complaint_files cf ON cf.id = cn.letter_id
		WHERE cn.complaint_id = $1 AND cn.purpose = 'decision' AND cn.role = 'complainant'`, id).Scan(&notice, &stored))
	catcher, err := notify.StartCatcher(f.pool, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	must(t, err)
	defer catcher.Close()
	host, port, _ := net.SplitHostPort(catcher.Addr)
	p, _ := strconv.Atoi(port)
	d := &notify.Delivery{Mail: &notify.SMTPMailer{Config: notify.SMTPConfig{Host: host, Port: p, TLS: "none",
		From: "noreply@postdesk.test", Timeout: 10 * time.Second}},
		Attachments: map[string]notify.AttachmentLoader{LetterSource: LetterFile}}
	must(t, d.Deliver(ctx, f.pool, []notify.ID{notice}, false))

	var raw []byte
	must(t, f.pool.QueryRow(ctx, `SELECT raw FROM caught_messages WHERE 'olena@example.com' = ANY (recipients) ORDER BY id DESC LIMIT 1`).Scan(&raw))
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	must(t, err)
	pdf, name := pdfPart(t, msg.Header.Get("Content-Type"), msg.Body)
	if pdf == nil {
		t.Fatalf("no PDF attachment in the notice:\n%s", raw)
	}
	if name != "decision-"+number+".pdf" || !bytes.Equal(pdf, stored) {
		t.Fatalf("attachment %q, %d bytes; want decision-%s.pdf, the stored %d bytes", name, len(pdf), number, len(stored))
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is needed (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), name)
	must(t, os.WriteFile(path, pdf, 0o600))
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").CombinedOutput()
	must(t, err)
	if !strings.Contains(string(text), number) {
		t.Fatalf("the attached letter does not name complaint %s:\n%s", number, text)
	}
}

// pdfPart finds the application/pdf part of a MIME body, decoded, with its file name; nil when
// there is none.
func pdfPart(t interface{ Fatalf(string, ...any) }, contentType string, body io.Reader) ([]byte, string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return nil, ""
	}
	r := multipart.NewReader(body, params["boundary"])
	for {
		part, err := r.NextPart() // decodes quoted-printable; base64 is decoded below
		if err != nil {
			return nil, ""
		}
		pt, pp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if strings.HasPrefix(pt, "multipart/") {
			if data, name := pdfPart(t, part.Header.Get("Content-Type"), part); data != nil {
				return data, name
			}
			continue
		}
		if pt != "application/pdf" {
			continue
		}
		var data []byte
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			data, err = io.ReadAll(base64Reader(part))
		} else {
			data, err = io.ReadAll(part)
		}
		if err != nil {
			t.Fatalf("read the attachment: %v", err)
		}
		name := part.FileName()
		if name == "" {
			name = pp["name"]
		}
		return data, name
	}
}

func base64Reader(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }
