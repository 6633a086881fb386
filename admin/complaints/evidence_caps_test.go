package complaints

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/postdesk/postdesk/admin/apperr"
)

// One complaint holds at most MaxFiles evidence files and MaxFilesBytes in all; the refusal says
// which cap was reached. Mail with more attachments still becomes a draft, with what fits.
func TestEvidenceCaps(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	for i := 0; i < MaxFiles; i++ {
		must(t, f.store.AddEvidence(f.ctx, r.ID, Upload{Name: fmt.Sprintf("p%d.txt", i), Data: []byte("note")}))
	}
	err := f.store.AddEvidence(f.ctx, r.ID, Upload{Name: "one-more.txt", Data: []byte("note")})
	if apperr.MessageOf(err) != "complaints.evidence.too_many" {
		t.Fatalf("file %d: %v", MaxFiles+1, err)
	}

	r2 := f.register()
	big := bytes.Repeat([]byte{'x'}, MaxUpload-1)
	must(t, f.store.AddEvidence(f.ctx, r2.ID, Upload{Name: "a.bin", Data: big}))
	must(t, f.store.AddEvidence(f.ctx, r2.ID, Upload{Name: "b.bin", Data: big}))
	err = f.store.AddEvidence(f.ctx, r2.ID, Upload{Name: "c.bin", Data: big})
	if apperr.MessageOf(err) != "complaints.evidence.too_much" {
		t.Fatalf("third large file: %v", err)
	}

	var many []Upload
	for i := 0; i < MaxFiles+5; i++ {
		many = append(many, Upload{Name: fmt.Sprintf("m%d.txt", i), Data: []byte("mail")})
	}
	made, err := f.store.CreateDraft(f.ctx, MailDraft{MessageID: "<many@t.test>", From: "olena@example.com", Subject: "s", Body: "b", Attachments: many})
	must(t, err)
	if !made {
		t.Fatal("no draft")
	}
	var n int
	must(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM complaint_files f JOIN complaints c ON c.id = f.complaint_id WHERE c.mail_message_id = '<many@t.test>'`).Scan(&n))
	if n != MaxFiles {
		t.Fatalf("draft kept %d files", n)
	}
}
