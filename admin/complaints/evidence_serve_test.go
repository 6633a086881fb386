package complaints_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Evidence is served as the type its bytes have only when that is a picture or a PDF a browser
// shows safely; anything else (HTML named photo.jpg, an SVG with script) is a download of plain
// bytes, whatever its name says.
func TestEvidenceServedByItsBytes(t *testing.T) {
	env := admintest.New(t)
	agent := env.Login("agent@demo.postdesk")
	ctx := context.Background()
	var complaint int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM complaints ORDER BY id LIMIT 1`).Scan(&complaint))
	var pic bytes.Buffer
	require.NoError(t, png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 2, 2))))

	for _, tc := range []struct {
		name, stored string
		data         []byte
		wantType     string
		inline       bool
	}{
		{"photo.jpg", "text/html; charset=utf-8", []byte("<html><script>alert(1)</script></html>"), "application/octet-stream", false},
		{"logo.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "application/octet-stream", false},
		{"scan.png", "image/png", pic.Bytes(), "image/png", true},
		{"act.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF\n"), "application/pdf", true},
		{"evil\r\nSet-Cookie: x=1.txt", "text/plain; charset=utf-8", []byte("hello"), "application/octet-stream", false},
	} {
		var id int64
		require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO complaint_files (complaint_id, kind, name, content_type, data) VALUES ($1, 'evidence', $2, $3, $4) RETURNING id`,
			complaint, tc.name, tc.stored, tc.data).Scan(&id))
		r := agent.Get("/complaints/" + itoa(complaint) + "/files/" + itoa(id))
		require.Equal(t, 200, r.Status, tc.name)
		require.Equal(t, tc.wantType, r.Header.Get("Content-Type"), tc.name)
		require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
		cd := r.Header.Get("Content-Disposition")
		if tc.inline {
			require.Regexp(t, `^inline; filename=`, cd, tc.name)
		} else {
			require.Regexp(t, `^attachment; filename=`, cd, tc.name)
		}
		require.NotContains(t, cd, "\n", tc.name)
		require.Empty(t, r.Header.Get("Set-Cookie"), tc.name)
		require.Equal(t, string(tc.data), r.Body, tc.name)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
