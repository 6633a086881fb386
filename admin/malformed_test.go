package admin_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// TestMalformedInputIsRefused: text that is not UTF-8 or holds a NUL, and cursors typed by hand,
// get an answer the user can act on, never a 500 (nor an empty export).
func TestMalformedInputIsRefused(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	admin := env.Login("admin@demo.postdesk")
	for _, path := range []string{"/orders?after=abc~1", "/orders?after=abc~1&sort=cost",
		"/orders?after=abc~1&sort=weight&dir=asc", "/orders?after=99999999999~1&sort=weight", "/orders?after=2026-01-01~x"} {
		r := admin.Get(path)
		require.Less(t, r.Status, 500, path)
		require.Contains(t, r.Body, "The page link is broken", path)
	}
	for _, path := range []string{
		"/admin/audit?actor=%00", "/admin/audit?action=%FF", "/admin/audit?record_type=a%00b&record_id=%FF",
		"/notifications?template=%FF", "/finance/ledger?reason=%00", "/accounts?q=ab%00",
		"/finance/ledger.xlsx?reason=%00",
	} {
		r := admin.Get(path)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, r.Status, "%s: %d %s", path, r.Status, r.Body)
		require.NotEmpty(t, r.Body, path)
	}
	r := admin.Get("/accounts?q=%FF%FE")
	require.Contains(t, r.Body, "not text", "the message says what is wrong")
}

// The query parameters any handler reads, found in the handlers' source: a parameter added to a
// page tomorrow is driven by FuzzGETQueries the day it lands.
var queryParam = regexp.MustCompile(`(?:c\.Query\(|QueryInt64\(c, |get\()"([a-z_]+)"`)

func queryNames(tb testing.TB) []string {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range queryParam.FindAllSubmatch(b, -1) {
			seen[string(m[1])] = true
		}
		return err
	})
	require.NoError(tb, err)
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	require.Contains(tb, names, "after")
	return names
}

// exampleIDs fills a route's parameters with records that exist, so handlers get past their
// look-ups and read their query parameters.
func exampleIDs(tb testing.TB, env *admintest.Env) map[string]string {
	ids := map[string]string{}
	for prefix, sql := range map[string]string{
		"/accounts/":               `SELECT min(id)::text FROM accounts`,
		"/admin/staff/":            `SELECT min(id)::text FROM staff`,
		"/complaints/":             `SELECT min(id)::text FROM complaints`,
		"/finance/payouts/":        `SELECT min(id)::text FROM payouts`,
		"/finance/reconciliation/": `SELECT min(id)::text FROM recon_periods`,
		"/moderation/":             `SELECT min(id)::text FROM moderation_cases`,
		"/news/":                   `SELECT min(id)::text FROM news`,
		"/notifications/":          `SELECT min(id)::text FROM notifications`,
		"/orders/":                 `SELECT min(number) FROM orders`,
	} {
		var id *string
		require.NoError(tb, env.Pool.QueryRow(context.Background(), sql).Scan(&id))
		if id != nil {
			ids[prefix] = *id
		}
	}
	return ids
}

func getRoutes(tb testing.TB, env *admintest.Env) []string {
	ids := exampleIDs(tb, env)
	var paths []string
	for _, r := range env.Server.Routes() {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/admin/jobs") || r.Path == "/metrics" {
			continue
		}
		path := r.Path
		for prefix, id := range ids {
			if strings.HasPrefix(path, prefix) {
				path = strings.Replace(path, prefix+":id<int>", prefix+id, 1)
				path = strings.Replace(path, prefix+":number", prefix+id, 1)
			}
		}
		paths = append(paths, strings.ReplaceAll(routeParam.ReplaceAllString(path, "1"), "*", "x"))
	}
	return paths
}

// queryEscape makes raw usable as a request's query string, keeping its escapes (valid or not).
func queryEscape(raw string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		switch {
		case ch == '%' && i+2 < len(raw) && strings.ContainsRune(hex+"abcdef", rune(raw[i+1])) && strings.ContainsRune(hex+"abcdef", rune(raw[i+2])):
			b.WriteByte(ch)
		case ch > 0x20 && ch < 0x7f && !strings.ContainsRune(`"#%<>\^{|}`+"`", rune(ch)):
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// FuzzGETQueries drives every GET route of the route table with query strings made of every
// parameter the handlers read. No answer may be a 500, and a 200 always has a body. `go test` runs
// the seeds; `make test` fuzzes for a few seconds more.
func FuzzGETQueries(f *testing.F) {
	env := admintest.New(f)
	admin := env.Login("admin@demo.postdesk")
	paths := getRoutes(f, env)
	names := queryNames(f)
	for _, v := range []string{"abc~1", "%00", "%FF", "ab%00", "-1", "99999999999999999999", "'\"<x>", "2026-13-45", "~", "%C0%AF", "1e309"} {
		var q []string
		for _, n := range names {
			q = append(q, n+"="+v)
		}
		f.Add(strings.Join(q, "&"))
	}
	f.Add("after=abc~1&sort=cost")
	f.Add("sort=weight&after=99999999999~1&dir=asc")
	f.Add("q=ab%00")
	f.Add("page=0&limit=-5&per_sheet=3")
	cookie := "postdesk_session=" + admin.Cookie("postdesk_session")
	f.Fuzz(func(t *testing.T, raw string) {
		q := queryEscape(raw)
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodGet, p+"?"+q, nil)
			req.Header.Set("Cookie", cookie)
			resp, err := env.Server.App.Test(req, -1)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 || (resp.StatusCode == http.StatusOK && len(body) == 0) {
				t.Fatalf("GET %s?%s: %d %.300s", p, q, resp.StatusCode, body)
			}
		}
	})
}
