package complaints_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// htmxPost posts a form as htmx does, with the page's CSRF token.
func htmxPost(c *admintest.Client, path string, v url.Values) admintest.Response {
	v.Set("_csrf", c.CSRF)
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return c.Do(req)
}

// Issue 14: a support lead sets each clock's warning times on the SLA board; what is refused says
// why beside the field and changes nothing; an agent may not; the queue's pill follows them.
func TestLeadSetsWarningTimes(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, kyiv)
	env.Clock.Freeze(now)
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review') ORDER BY id LIMIT 1`).Scan(&id))
	// Due in 4 days and a bit: green with the 3-day default.
	_, err = env.Pool.Exec(ctx, `UPDATE complaints SET decision_due = $2 WHERE id = $1`, id, time.Date(2026, 12, 9, 0, 0, 0, 0, kyiv))
	require.NoError(t, err)
	agent, lead := env.Login("agent@demo.postdesk"), env.Login("lead@demo.postdesk")
	pill := func() string {
		r := lead.Get("/complaints/" + itoa(id))
		require.Equal(t, http.StatusOK, r.Status)
		i := strings.Index(r.Body, `id="time-left"`)
		require.Positive(t, i)
		return r.Body[strings.LastIndex(r.Body[:i], "<span"):i]
	}
	require.Contains(t, pill(), "green")

	r := lead.Get("/complaints/board")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `id="sla-warnings"`)
	require.Regexp(t, `id="warn-decision_first" name="decision_first" type="number"[^>]*value="3"`, r.Body)
	require.Regexp(t, `id="warn-notice_second" name="notice_second" type="number"[^>]*value="1"`, r.Body)

	settings := func() int {
		var n int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM settings WHERE key LIKE 'complaints.sla.%'`).Scan(&n))
		return n
	}
	valid := url.Values{"decision_first": {"5"}, "decision_first_unit": {"d"}, "decision_second": {"36"}, "decision_second_unit": {"h"},
		"notice_first": {"2"}, "notice_first_unit": {"d"}, "notice_second": {"6"}, "notice_second_unit": {"h"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range valid {
			out[kk] = vv
		}
		out.Set(k, v)
		return out
	}

	// An agent may not.
	agent.Get("/complaints")
	r = htmxPost(agent, "/complaints/board/warnings", valid)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Zero(t, settings())

	// Refusals: beside the field, the form keeps what was typed, nothing is stored.
	for _, tc := range []struct {
		values url.Values
		field  string
		msg    string
	}{
		{with("decision_first", "1"), "decision_second", "The second warning must come after the first"},
		{with("notice_first", "1.5"), "notice_first", "Type a whole number of days or hours."},
		{with("decision_first", "16"), "decision_first", "At most 15 days before the deadline."},
		{with("notice_second", "0"), "notice_second", "at least 1 hour before the deadline"},
	} {
		r = htmxPost(lead, "/complaints/board/warnings", tc.values)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, tc.field)
		require.True(t, strings.HasPrefix(r.Body, `<section class="panel" id="sla-warnings"`), "the section alone, swapped in place")
		require.Contains(t, r.Body, `id="warn-`+tc.field+`-error" role="alert">`, tc.field)
		require.Contains(t, r.Body, tc.msg, tc.field)
		require.Regexp(t, `id="warn-`+tc.field+`"[^>]*aria-invalid="true"`, r.Body)
		require.Contains(t, r.Body, `value="`+tc.values.Get(tc.field)+`"`, "what was typed stays")
		require.Contains(t, r.Body, "The warning times were not saved")
		require.Zero(t, settings(), tc.field)
	}

	// Saved: a toast, the values shown back, stored and audited.
	r = htmxPost(lead, "/complaints/board/warnings", valid)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Header.Get("HX-Trigger"), "Warning times saved.")
	require.Regexp(t, `id="warn-decision_second" name="decision_second" type="number"[^>]*value="36"`, r.Body)
	require.Equal(t, 2, settings())
	var audits int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'complaints.sla_warnings'`).Scan(&audits))
	require.Equal(t, 1, audits)
	// The pill is amber 4 days before now that the first warning is 5 days.
	require.Contains(t, pill(), "amber")

	// The board shows the saved times on the next visit.
	r = lead.Get("/complaints/board")
	require.Regexp(t, `id="warn-decision_first" name="decision_first" type="number"[^>]*value="5"`, r.Body)
	require.Regexp(t, `<option value="h" selected>`, r.Body)
}
