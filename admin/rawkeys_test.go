package admin_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/rbac"
)

// Issue 14, item 5: raw keys were on screen in every language — the groups matrix
// (order.field.cost), the roles page (perm.accounts:block), ledger reasons (order.deposit),
// notification template names (complaint_ack), "sent" and "breach" on the complaint page. Every
// permission, governed field, template, notice state and SLA level has words in the catalogue
// (whose languages are kept equal by TestCataloguesAreComplete), and the pages that showed them
// show no key in uk, ru or en.
func TestNoRawKeysOnScreen(t *testing.T) {
	var want []string
	for _, p := range rbac.AllPerms() {
		want = append(want, "perm."+string(p))
	}
	for _, f := range rbac.Fields("") {
		want = append(want, f.Record+".field."+f.Name)
	}
	templates := notify.TemplateKeys()
	for _, k := range templates {
		want = append(want, "notify.tpl."+k)
	}
	for _, s := range []string{"pending", "sending", "retry", "sent", "failed", "skipped"} {
		want = append(want, "notify.status."+s)
	}
	for _, l := range []string{"d3", "d1", "breach"} {
		want = append(want, "complaints.sla_level."+l)
	}
	for _, k := range want {
		require.True(t, i18n.Has(k), "no words for %s", k)
	}

	env := admintest.New(t)
	ctx := context.Background()
	var complaint string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id::text FROM complaints ORDER BY id LIMIT 1`).Scan(&complaint))
	_, err := env.Pool.Exec(ctx, `INSERT INTO complaint_events (complaint_id, kind, at, note) VALUES ($1, 'sla_warning', now(), 'd1'), ($1, 'sla_escalated', now(), 'breach')`, complaint)
	require.NoError(t, err)

	// Keys look like these: dotted ids of the catalogue's families, ledger reason codes, template names.
	var named []string // template names that are not plain words ("news" is)
	for _, k := range templates {
		if strings.Contains(k, "_") {
			named = append(named, k)
		}
	}
	raw := `\b(perm\.[a-z_]+:[a-z_]+|[a-z]+\.field\.[a-z_]+|notify\.[a-z_.]+|complaints\.[a-z_.]+|finance\.[a-z_.]+|order\.[a-z_]+|` +
		strings.Join(named, "|") + `)\b`
	keyRe := regexp.MustCompile(raw)
	tags := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	admin := env.Login("admin@demo.postdesk")
	finance := env.Login("finance@demo.postdesk")
	for _, lang := range []string{"uk", "ru", "en"} {
		for _, c := range []*admintest.Client{admin, finance} {
			c.PostForm("/lang", url.Values{"lang": {lang}, "next": {"/"}})
		}
		for _, p := range []struct {
			c    *admintest.Client
			path string
		}{
			{admin, "/admin/groups"}, {admin, "/admin/roles"}, {admin, "/notifications"}, {admin, "/complaints/" + complaint},
			{finance, "/finance/ledger"}, {finance, "/finance/balances?user=1"},
		} {
			r := p.c.Get(p.path)
			require.Equal(t, 200, r.Status, "%s %s", lang, p.path)
			text := tags.ReplaceAllString(r.Body, " ")
			if m := keyRe.FindAllString(text, 5); m != nil {
				t.Errorf("%s %s shows raw keys: %v", lang, p.path, m)
			}
		}
	}
}
