package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Issue 14, item 5: group names were English in the Ukrainian and Russian UI. A group carries
// its name in each language, editable on the groups page (audited); the staff and groups pages
// show the viewer's, and a language without one shows the name the group was created with.
func TestGroupNamesPerLanguage(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	admin := env.Login("admin@demo.postdesk")
	admin.PostForm("/lang", url.Values{"lang": {"uk"}, "next": {"/"}})
	r := admin.Get("/admin/staff")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "Агенти підтримки")
	require.NotContains(t, r.Body, ">Support agents<")

	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff_groups WHERE name = 'Finance'`).Scan(&id))
	path := "/admin/groups/" + strconv.FormatInt(id, 10) + "/names"
	r = admin.PostForm(path, url.Values{"name_uk": {"Бухгалтерія"}, "name_ru": {""}, "name_en": {"Accounts"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Contains(t, admin.Get("/admin/groups").Body, "Бухгалтерія")
	admin.PostForm("/lang", url.Values{"lang": {"ru"}, "next": {"/"}})
	require.Contains(t, admin.Get("/admin/groups").Body, ">Finance<", "no Russian name: the group's own")
	admin.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
	require.Contains(t, admin.Get("/admin/staff").Body, "Accounts")
	var audited int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'groups.names'`).Scan(&audited))
	require.Equal(t, 1, audited)

	agent := env.Login("agent@demo.postdesk")
	require.Equal(t, http.StatusForbidden, agent.PostForm(path, url.Values{"name_uk": {"x"}}).Status)
}
