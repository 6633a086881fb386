package recon_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/admin/money"
)

func upload(t *testing.T, c *admintest.Client, path, name, content string) admintest.Response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	require.NoError(t, w.WriteField("_csrf", c.CSRF))
	f, err := w.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = f.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

var resolveForm = regexp.MustCompile(`action="(/finance/reconciliation/\d+/results/\d+/resolve)"`)

// An officer opens a period, a bad file changes nothing, a statement is loaded and matched, the
// status block counts the outcomes, closing is refused while exceptions are open, and after they
// are resolved the period closes.
func TestReconciliationPages(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	c := env.Login("finance@demo.postdesk")
	startWorkers(t, env)

	r := c.Get("/finance/reconciliation")
	require.Equal(t, http.StatusOK, r.Status, r.Body)

	r = c.PostForm("/finance/reconciliation", url.Values{"from": {"2020-01-02"}, "to": {"2020-01-01"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "must end after it starts")

	r = c.PostForm("/finance/reconciliation", url.Values{"from": {"2020-01-01"}, "to": {"2020-01-01"}, "amount_tolerance": {"0.50"}, "date_tolerance": {"24"}, "basis": {"gross"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	period := r.Location
	require.True(t, strings.HasPrefix(period, "/finance/reconciliation/"), period)
	var periodID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT max(id) FROM recon_periods`).Scan(&periodID))

	r = upload(t, c, period+"/statement", "bad.csv", "ref,sum\nA,1\n")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `id="upload-error"`)
	require.Contains(t, r.Body, "first row must be")
	st, _, _, err := recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.Zero(t, st, "a bad file loads nothing")

	csv := "orderReference,amount,fee,currency,transactionStatus,createdDate\n" +
		"GW-1,100.00,1.50,UAH,Approved,2020-01-01 10:00:00\n" +
		"GW-2,250.25,2.00,UAH,Approved,2020-01-01 11:00:00\n"
	r = upload(t, c, period+"/statement", "statement.csv", csv)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	waitLoad(t, env, periodID, 30*time.Second)
	st, _, _, err = recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.NotZero(t, st)

	r = c.Get(period)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `role="img"`)
	require.Contains(t, r.Body, "Matched: 0, exceptions: 2")
	require.Regexp(t, `data-kind="missing_in_ledger"><th scope="row">Missing in the ledger</th><td class="num">2</td>`, r.Body)
	require.Contains(t, r.Body, "GW-2")
	require.Contains(t, r.Body, money.Format(250_25, "UAH", "en"), "amounts in the reader's language with the currency")

	// Matching again gives the same outcomes on a new statement.
	r = c.PostForm(period+"/match", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	waitLoad(t, env, periodID, 30*time.Second)
	st2, _, _, err := recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.Greater(t, st2, st)
	require.Contains(t, c.Get(period).Body, "Matched: 0, exceptions: 2")

	x := c.Get(period + "/export.xlsx")
	require.Equal(t, http.StatusOK, x.Status)
	require.Contains(t, x.Header.Get("Content-Type"), "spreadsheetml")

	r = c.PostForm(period+"/close", nil)
	require.Equal(t, http.StatusConflict, r.Status)
	require.Contains(t, r.Body, "2 exceptions are still unresolved")

	forms := resolveForm.FindAllStringSubmatch(c.Get(period+"?kind=open").Body, -1)
	require.Len(t, forms, 2)
	r = c.PostForm(forms[0][1], url.Values{"resolution": {"note"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a note resolution needs a note")
	r = c.PostForm(forms[0][1], url.Values{"resolution": {"note"}, "note": {"Повернення від банку"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = c.PostForm(forms[1][1], url.Values{"resolution": {"accepted"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)

	r = c.PostForm(period+"/close", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	p, err := recon.GetPeriod(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.True(t, p.Closed())
	require.NotContains(t, c.Get(period).Body, "/statement\"")
}
