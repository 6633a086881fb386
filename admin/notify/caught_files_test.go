package notify_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// A caught e-mail's attachments are listed on the catcher's pages and download as the recipient
// got them, parsed from the stored mail; whoever may not read the catcher may not download them.
func TestCaughtMailAttachments(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	pdf := []byte("%PDF-1.4\n% a decision letter\n" + strings.Repeat("x", 3000))
	html := []byte("<script>alert(1)</script>")
	b64 := base64.StdEncoding.EncodeToString(pdf)
	var wrapped strings.Builder
	for len(b64) > 76 {
		wrapped.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	wrapped.WriteString(b64 + "\r\n")
	name := mime.QEncoding.Encode("utf-8", "рішення-CM-000042.pdf")
	raw := "From: noreply@postdesk.local\r\nTo: olena@example.com\r\nSubject: Decision\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n" +
		"--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe decision is attached.\r\n" +
		"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The decision is attached.</p>\r\n--b2--\r\n" +
		"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n" +
		wrapped.String() +
		"--b1\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"page.html\"\r\n\r\n" + string(html) + "\r\n--b1--\r\n"
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO caught_messages (channel, sender, recipients, subject, body, raw)
		VALUES ('email', 'noreply@postdesk.local', '{olena@example.com}', 'Decision', 'The decision is attached.', $1) RETURNING id`, []byte(raw)).Scan(&id))
	base := fmt.Sprintf("/notifications/caught/%d", id)

	agent := env.Login("agent@demo.postdesk")
	for _, page := range []string{"/notifications/caught", base} {
		r := agent.Get(page)
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, r.Body, `href="`+base+`/files/1" download>рішення-CM-000042.pdf</a>`, page)
		require.Contains(t, r.Body, `href="`+base+`/files/2" download>page.html</a>`, page)
		require.NotContains(t, r.Body, "files/3", "the text and HTML bodies are no attachments")
	}

	r := agent.Get(base + "/files/1")
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, string(pdf), r.Body)
	require.Equal(t, "application/pdf", r.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment"), r.Header.Get("Content-Disposition"))
	// An HTML attachment is bytes to save, never a page of the portal.
	r = agent.Get(base + "/files/2")
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, string(html), r.Body)
	require.Equal(t, "application/octet-stream", r.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
	require.Equal(t, http.StatusNotFound, agent.Get(base+"/files/3").Status)
	require.Equal(t, http.StatusNotFound, agent.Get(fmt.Sprintf("/notifications/caught/%d/files/1", id+1000)).Status)

	// The page's permission: an editor reads no caught mail, nor its attachments.
	require.Equal(t, http.StatusForbidden, env.Login("editor@demo.postdesk").Get(base+"/files/1").Status)
}
