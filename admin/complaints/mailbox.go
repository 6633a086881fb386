package complaints

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
)

// Mailbox is the complaints mailbox the intake job reads.
type Mailbox struct {
	Addr     string // host:port
	User     string
	Password string
	Folder   string
	TLS      bool // imaps (implicit TLS); false only for a local test server
}

// ParseMailbox reads the configured mailbox URL (POSTDESK_COMPLAINTS_IMAP), e.g.
// imaps://complaints%40postdesk.example:secret@mail.example:993/INBOX. Empty means no intake.
func ParseMailbox(raw string) Mailbox {
	if raw == "" {
		return Mailbox{}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Mailbox{}
	}
	m := Mailbox{Addr: u.Host, User: u.User.Username(), Folder: strings.TrimPrefix(u.Path, "/"), TLS: u.Scheme != "imap"}
	m.Password, _ = u.User.Password()
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	return m
}

// Configured tells whether a mailbox is set.
func (m Mailbox) Configured() bool { return m.Addr != "" }

// maxMessage skips messages too large to be one complaint with its evidence.
const maxMessage = 25 << 20

// ReadMailbox turns every unseen message of the mailbox into one draft complaint with its
// attachments, then marks it seen. Drafts are keyed by Message-ID, so a message read twice (a
// crash before the \Seen flag was stored, two overlapping runs) still makes one draft.
func (s *Store) ReadMailbox(ctx context.Context, m Mailbox) (int, error) {
	if !m.Configured() {
		return 0, nil
	}
	dial := imapclient.DialTLS
	if !m.TLS {
		dial = imapclient.DialInsecure
	}
	c, err := dial(m.Addr, nil)
	if err != nil {
		return 0, fmt.Errorf("complaints mailbox: %w", err)
	}
	defer c.Close()
	if err := c.Login(m.User, m.Password).Wait(); err != nil {
		return 0, fmt.Errorf("complaints mailbox: login: %w", err)
	}
	sel, err := c.Select(m.Folder, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("complaints mailbox: select: %w", err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("complaints mailbox: search: %w", err)
	}
	uids := found.AllUIDs()
	made := 0
	for _, uid := range uids {
		if err := ctx.Err(); err != nil {
			return made, err
		}
		section := &imap.FetchItemBodySection{Peek: true}
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return made, fmt.Errorf("complaints mailbox: fetch %d: %w", uid, err)
		}
		for _, msg := range msgs {
			if msg.RFC822Size > maxMessage {
				continue
			}
			d, err := parseMessage(msg.FindBodySection(section))
			if err != nil {
				return made, fmt.Errorf("complaints mailbox: message %d: %w", uid, err)
			}
			if d.MessageID == "" {
				d.MessageID = fmt.Sprintf("imap:%s:%d:%d", m.Folder, sel.UIDValidity, uid)
			}
			d.Date = msg.InternalDate
			ok, err := s.CreateDraft(ctx, d)
			if err != nil {
				return made, err
			}
			if ok {
				made++
			}
		}
		if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return made, fmt.Errorf("complaints mailbox: flag %d: %w", uid, err)
		}
	}
	_ = c.Logout().Wait()
	return made, nil
}

// parseMessage reads sender, subject, the text body and the attachments of a raw message.
func parseMessage(raw []byte) (MailDraft, error) {
	mr, err := mail.CreateReader(strings.NewReader(string(raw)))
	if err != nil {
		return MailDraft{}, err
	}
	var d MailDraft
	d.MessageID, _ = mr.Header.MessageID()
	d.Subject, _ = mr.Header.Subject()
	if from, err := mr.Header.AddressList("From"); err == nil && len(from) > 0 {
		d.From = strings.ToLower(from[0].Address)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d, err
		}
		body, err := io.ReadAll(io.LimitReader(p.Body, maxMessage))
		if err != nil {
			return d, err
		}
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			if (ct == "text/plain" || ct == "") && d.Body == "" {
				d.Body = string(body)
			}
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			if name == "" {
				name = "attachment"
			}
			d.Attachments = append(d.Attachments, Upload{Name: name, ContentType: ct, Data: body})
		}
	}
	return d, nil
}
