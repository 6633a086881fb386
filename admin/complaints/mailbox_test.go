package complaints

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// localMailbox starts an in-memory IMAP server on a free local port with an INBOX.
func localMailbox(t *testing.T) Mailbox {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("complaints@postdesk.test", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return Mailbox{Addr: ln.Addr().String(), User: "complaints@postdesk.test", Password: "secret", Folder: "INBOX"}
}

func deliver(t *testing.T, m Mailbox, raw string) {
	t.Helper()
	c, err := imapclient.DialInsecure(m.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(m.User, m.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	cmd := c.Append(m.Folder, int64(len(raw)), nil)
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

const mailWithAttachment = `From: Olena <Olena@Example.com>
To: complaints@postdesk.test
Subject: =?UTF-8?B?0KHQutCw0YDQs9CwINC90LAg0LrRg9GAJ9GU0YDQsA==?=
Message-ID: <c1@example.com>
Date: Wed, 10 Mar 2027 09:00:00 +0200
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Кур'єр не доставив посилку PD00000042.
--b1
Content-Type: image/png
Content-Disposition: attachment; filename="photo.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--b1--
`

const plainMail = `From: ivan@example.com
To: complaints@postdesk.test
Subject: Complaint
Message-ID: <c2@example.com>
Date: Wed, 10 Mar 2027 10:00:00 +0200
Content-Type: text/plain; charset=utf-8

The courier was rude.
`

func TestMailboxIntakeMakesOneDraftPerMessage(t *testing.T) {
	f := newFixture(t)
	m := localMailbox(t)
	deliver(t, m, mailWithAttachment)
	deliver(t, m, plainMail)
	n, err := f.store.ReadMailbox(context.Background(), m)
	must(t, err)
	if n != 2 {
		t.Fatalf("%d drafts from 2 messages", n)
	}
	// Nothing new: the messages are seen, and a re-delivered copy of one has the same Message-ID.
	deliver(t, m, plainMail)
	n, err = f.store.ReadMailbox(context.Background(), m)
	must(t, err)
	if n != 0 {
		t.Fatalf("second read made %d drafts", n)
	}
	rows, err := f.pool.Query(context.Background(), `SELECT c.state, c.source, c.mail_from, c.mail_subject, c.mail_body,
		(SELECT count(*) FROM complaint_files WHERE complaint_id = c.id) FROM complaints c ORDER BY c.id`)
	must(t, err)
	type draft struct {
		state, source, from, subject, body string
		files                              int
	}
	var got []draft
	for rows.Next() {
		var d draft
		must(t, rows.Scan(&d.state, &d.source, &d.from, &d.subject, &d.body, &d.files))
		got = append(got, d)
	}
	if len(got) != 2 {
		t.Fatalf("%d complaints", len(got))
	}
	if got[0].state != "draft" || got[0].source != "email" || got[0].from != "olena@example.com" ||
		got[0].subject != "Скарга на кур'єра" || !strings.Contains(got[0].body, "PD00000042") || got[0].files != 1 {
		t.Fatalf("first draft %+v", got[0])
	}
	if got[1].files != 0 || !strings.Contains(got[1].body, "rude") {
		t.Fatalf("second draft %+v", got[1])
	}
	f.checkStoredDeadlines()
}
