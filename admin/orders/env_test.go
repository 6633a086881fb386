package orders_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/jobs"
)

// startWorkers runs River workers against the test database, as a serve or worker process would.
func startWorkers(t testing.TB, env *admintest.Env) {
	t.Helper()
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	client, err := jobs.New(env.Pool, jobs.Options{Work: true, Workers: 4, Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		TZ: kyiv, Currency: "UAH"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer c2()
		_ = client.Stop(stopCtx)
		cancel()
	})
}

var jobID = regexp.MustCompile(`id="job-(\d+)"`)

// waitJob polls a job's progress fragment, as the page does, until it ends; it returns the last
// fragment and the file id.
func waitJob(t *testing.T, c *admintest.Client, started admintest.Response) (string, int64) {
	t.Helper()
	m := jobID.FindStringSubmatch(started.Body)
	require.NotNil(t, m, "no progress bar in %q", started.Body)
	id, _ := strconv.ParseInt(m[1], 10, 64)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r := c.Get("/files/" + m[1] + "/progress")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		if strings.Contains(r.Body, `data-state="done"`) || strings.Contains(r.Body, `data-state="failed"`) {
			return r.Body, id
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
	return "", 0
}

// htmxPost posts a form as htmx does (the fragment comes back, not a page).
func htmxPost(c *admintest.Client, path string, form map[string][]string) admintest.Response {
	var b strings.Builder
	first := true
	for k, vs := range form {
		for _, v := range vs {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(k + "=" + urlEscape(v))
		}
	}
	if !first {
		b.WriteByte('&')
	}
	b.WriteString("_csrf=" + urlEscape(c.CSRF))
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(b.String()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return c.Do(req)
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D", "+", "%2B", " ", "+", "#", "%23", "?", "%3F")
	return r.Replace(s)
}

// upload posts a multipart form with one file.
func upload(c *admintest.Client, path, field, name string, data []byte, fields map[string]string) admintest.Response {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.WriteField("_csrf", c.CSRF)
	fw, _ := mw.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	return c.Do(req)
}

func toastOf(r admintest.Response) string {
	var v struct {
		Toast struct{ Level, Message string } `json:"toast"`
	}
	_ = json.Unmarshal([]byte(r.Header.Get("HX-Trigger")), &v)
	return v.Toast.Message
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
