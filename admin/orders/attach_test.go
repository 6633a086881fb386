package orders_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

func pngImage(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// Staff attach photos and documents to an order; pictures get thumbnails; files are served with
// their type and name only to those who may see the order; wrong types are refused.
func TestAttachments(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	var number string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT number FROM orders ORDER BY id LIMIT 1`).Scan(&number))
	agent := env.Login("agent@demo.postdesk")

	r := upload(agent, "/orders/"+number+"/attachments", "file", "Фото посилки.png", pngImage(t, 800, 600), nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, "Фото посилки.png")
	m := regexp.MustCompile(`<img src="(/orders/` + number + `/attachments/(\d+)/thumb)"`).FindStringSubmatch(r.Body)
	require.NotNil(t, m, r.Body)

	thumb := agent.Get(m[1])
	require.Equal(t, http.StatusOK, thumb.Status)
	require.Equal(t, "image/jpeg", thumb.Header.Get("Content-Type"))
	img, err := jpeg.Decode(bytes.NewReader([]byte(thumb.Body)))
	require.NoError(t, err)
	require.Equal(t, 240, img.Bounds().Dx())
	require.Equal(t, 180, img.Bounds().Dy())

	full := agent.Get("/orders/" + number + "/attachments/" + m[2])
	require.Equal(t, http.StatusOK, full.Status)
	require.Equal(t, "image/png", full.Header.Get("Content-Type"))
	require.Equal(t, `inline; filename="____ _______.png"; filename*=UTF-8''%D0%A4%D0%BE%D1%82%D0%BE%20%D0%BF%D0%BE%D1%81%D0%B8%D0%BB%D0%BA%D0%B8.png`, full.Header.Get("Content-Disposition"))
	require.Equal(t, "nosniff", full.Header.Get("X-Content-Type-Options"))

	// A PDF downloads as an attachment when asked.
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	r = upload(agent, "/orders/"+number+"/attachments", "file", "act.pdf", pdf, nil)
	require.Equal(t, http.StatusOK, r.Status)

	// HTML dressed as a picture is refused by its bytes, not its name.
	r = upload(agent, "/orders/"+number+"/attachments", "file", "cat.jpg", []byte("<html><script>alert(1)</script></html>"), nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "are not accepted")

	// The file id alone opens nothing: on another order it is not found.
	var other string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT number FROM orders WHERE number <> $1 LIMIT 1`, number).Scan(&other))
	require.Equal(t, http.StatusNotFound, agent.Get("/orders/"+other+"/attachments/"+m[2]).Status)
	// Finance reads orders, so it sees the file; the editor does not.
	require.Equal(t, http.StatusOK, env.Login("finance@demo.postdesk").Get("/orders/"+number+"/attachments/"+m[2]).Status)
	require.Equal(t, http.StatusForbidden, env.Login("editor@demo.postdesk").Get("/orders/"+number+"/attachments/"+m[2]).Status)
	// Finance may not attach.
	require.Equal(t, http.StatusForbidden, upload(env.Login("finance@demo.postdesk"), "/orders/"+number+"/attachments", "file", "x.png", pngImage(t, 4, 4), nil).Status)

	var audits int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'file.attach' AND record_id = $1`, number).Scan(&audits))
	require.Equal(t, 2, audits)
}
