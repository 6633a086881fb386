package admin_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/seed"
	"github.com/postdesk/postdesk/admin/webhooks"
	"github.com/postdesk/postdesk/rbac"
)

// The two screens of issue 14: a phone and a laptop.
var screens = []struct {
	name          string
	width, height int64
}{{"390×844", 390, 844}, {"1440×900", 1440, 900}}

// TestBrowserEveryPageFitsEveryScreen is issue 14's acceptance test for the shell. As every demo
// role, in Ukrainian, Russian and English, it opens every page of that role's navigation (and the
// first record each list links to) in Chromium at 390×844 and 1440×900 and checks: the page answers
// 200; it is no wider than the viewport (the widest element is named when it is); no translation
// key shows raw; each confirmation the page can ask opens inside the viewport; at 1440 px the
// navigation is one column beside the page, at 390 px it folds behind the menu button. On the home
// page every link answers 200 for that role.
func TestBrowserEveryPageFitsEveryScreen(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	// Records each section's list may not link to on its first screen (the lead's complaints open on
	// "mine"; the demo has no reconciliation period): their pages are measured all the same.
	records := map[string]string{}
	for section, sql := range map[string]string{
		"/complaints":             `SELECT '/complaints/' || min(id) FROM complaints`,
		"/finance/reconciliation": `SELECT '/finance/reconciliation/' || min(id) FROM recon_periods`,
		"/webhooks":               `SELECT '/webhooks/' || min(id) FROM webhook_deliveries`,
	} {
		var page *string
		require.NoError(t, env.Pool.QueryRow(context.Background(), sql).Scan(&page))
		if page != nil {
			records[section] = *page
		}
	}
	keys := keyChecker{namespaces: keyNamespaces(t), identifiers: map[string]bool{}}
	// Webhook event types are the API's names, shown as they are sent (the integrator's contract).
	for _, e := range webhooks.Events {
		keys.identifiers[e] = true
	}
	// A governed field's id (account.birth_date) is the tooltip of its row in the groups matrix,
	// beside the field's name in words: the id administrators find in the rules and the audit.
	for _, f := range rbac.Fields("") {
		keys.identifiers[f.Key()] = true
	}
	for _, s := range seed.DemoStaff {
		t.Run(s.Email, func(t *testing.T) {
			// A browser per role: each has two minutes (Browser's limit) for its three languages.
			b := admintest.Browser(t)
			require.NoError(t, chromedp.Run(b, admintest.LogIn(base, s.Email)))
			var problems []string
			var pages []string
			confirmations := 0
			for li, lang := range []string{"uk", "ru", "en"} {
				setLang(t, b, base, lang)
				if li == 0 {
					pages = rolePages(t, b, base, records)
					t.Logf("%d pages: %v", len(pages), pages)
					problems = append(problems, homeLinks(t, b, base)...)
				}
				for _, p := range pages {
					problems = append(problems, checkPage(t, b, base, p, lang, keys, &confirmations)...)
				}
			}
			require.NoError(t, chromedp.Run(b, chromedp.EmulateViewport(1440, 900)))
			require.Empty(t, problems, "%s, pages %v:\n%s", s.Email, pages, strings.Join(problems, "\n"))
			if s.Email == "admin@demo.postdesk" {
				require.True(t, slices.ContainsFunc(pages, regexp.MustCompile(`^/accounts/\d+$`).MatchString), "an account's page (its block confirmation) is measured")
				require.Greater(t, confirmations, 10, "the administrator's pages ask confirmations")
			}
		})
	}
}

// setLang switches the session's language as the switcher does (a posted form with the CSRF token).
func setLang(t *testing.T, b context.Context, base, lang string) {
	t.Helper()
	var status int64
	js := fmt.Sprintf(`fetch('/lang', {method: 'POST', body: new URLSearchParams({lang: %q, next: '/',
		_csrf: document.querySelector('meta[name=csrf-token]').content}), redirect: 'manual'}).then(r => r.type === 'opaqueredirect' ? 303 : r.status)`, lang)
	require.NoError(t, chromedp.Run(b, chromedp.Navigate(base+"/me"), chromedp.Evaluate(js, &status, awaitPromise)))
	require.Equal(t, int64(303), status, "switch to %s", lang)
}

// rolePages lists the role's navigation as the sidebar shows it and, after each entry, the pages of
// its section the page links to (new, import, ledger, settings...) and the first record it lists
// (an account, an order, a complaint...) or records names for it, so forms and detail pages are
// measured too.
func rolePages(t *testing.T, b context.Context, base string, records map[string]string) []string {
	t.Helper()
	var nav []string
	require.NoError(t, chromedp.Run(b, chromedp.Navigate(base+"/"),
		chromedp.Evaluate(`[...document.querySelectorAll('#site-nav a')].map(a => a.getAttribute('href'))`, &nav)))
	require.NotEmpty(t, nav)
	pages := []string{"/me"}
	seen := map[string]bool{"/me": true}
	for _, p := range nav {
		if !seen[p] {
			seen[p] = true
			pages = append(pages, p)
		}
		if p == "/admin/jobs" { // River's own app, outside the portal's layout
			continue
		}
		var links []string
		js := fmt.Sprintf(`(() => {
			const re = new RegExp('^' + %q.replace(/\/$/, '') + '/[^/?#.]+$'), sub = [], rec = [];
			for (const a of document.querySelectorAll('main a[href]')) {
				const h = a.getAttribute('href');
				if (!re.test(h)) continue;
				(/^[a-z-]+$/.test(h.split('/').pop()) ? sub : rec).push(h);
			}
			return [...new Set(sub), ...rec.slice(0, 1)];
		})()`, p)
		require.NoError(t, chromedp.Run(b, chromedp.Navigate(base+p), chromedp.Evaluate(js, &links)))
		if r := records[p]; r != "" {
			links = append(links, r)
		}
		for _, l := range links {
			if !seen[l] {
				seen[l] = true
				pages = append(pages, l)
			}
		}
	}
	return pages
}

// homeLinks fetches every link of the home page with the role's session: each must answer 200.
func homeLinks(t *testing.T, b context.Context, base string) []string {
	t.Helper()
	var res []struct {
		Href   string `json:"href"`
		Status int    `json:"status"`
	}
	js := `Promise.all([...new Set([...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href'))
			.filter(h => h.startsWith('/') && !h.startsWith('//')))]
		.map(h => fetch(h, {redirect: 'manual'}).then(r => ({href: h, status: r.type === 'opaqueredirect' ? 302 : r.status}))))`
	require.NoError(t, chromedp.Run(b, chromedp.Navigate(base+"/"), chromedp.Evaluate(js, &res, awaitPromise)))
	var problems []string
	for _, r := range res {
		if r.Status != 200 {
			problems = append(problems, fmt.Sprintf("home page link %s: status %d", r.Href, r.Status))
		}
	}
	return problems
}

// pageProbe measures the page as it is laid out now.
const pageProbe = `(() => {
	const w = window.innerWidth, h = window.innerHeight;
	const out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, widest: []};
	if (out.scrollWidth > w) {
		// The deepest elements reaching past the right edge: the cause, not their containers.
		// Parts of a box that scrolls or clips sideways do not widen the page: only the box counts.
		// (An absolutely placed element belongs to its nearest placed ancestor's box, not its parent's.)
		const clipped = e => {
			let abs = ['absolute', 'fixed'].includes(getComputedStyle(e).position);
			for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
				const st = getComputedStyle(p);
				if (abs && st.position === 'static') continue;
				if (st.overflowX !== 'visible') return true;
				abs = ['absolute', 'fixed'].includes(st.position);
			}
			return false;
		};
		const over = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > w + 0.5 && !clipped(e));
		const leaves = over.filter(e => ![...e.children].some(c => over.includes(c)));
		leaves.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
		out.widest = leaves.slice(0, 4).map(e => {
			let path = [], n = e;
			for (let i = 0; n && n !== document.body && i < 4; i++, n = n.parentElement)
				path.unshift(n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (n.classList.length ? '.' + [...n.classList].join('.') : ''));
			return path.join(' > ') + ' right=' + Math.round(e.getBoundingClientRect().right) + ' "' + (e.textContent || '').trim().slice(0, 60) + '"';
		});
	}
	// What folds out (column chooser, extra filters) stays inside the screen once open.
	out.folds = [];
	for (const d of document.querySelectorAll('main details:not([open])')) {
		d.open = true;
		for (const c of d.children) {
			const r = c.getBoundingClientRect();
			if (c.tagName !== 'SUMMARY' && r.width > 0 && (r.left < 0 || r.right > w + 0.5))
				out.folds.push((d.querySelector('summary') || d).textContent.trim().slice(0, 40) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
		}
		if (document.documentElement.scrollWidth > w) out.folds.push((d.querySelector('summary') || d).textContent.trim().slice(0, 40) + ' widens the page to ' + document.documentElement.scrollWidth);
		d.open = false;
	}
	const nav = document.getElementById('site-nav'), menu = document.querySelector('.menu-toggle');
	out.nav = nav ? {
		visible: nav.getBoundingClientRect().height > 0,
		menuVisible: !!menu && menu.getBoundingClientRect().width > 0,
		lefts: [...new Set([...nav.querySelectorAll('a')].map(a => Math.round(a.getBoundingClientRect().left)))],
		beside: nav.getBoundingClientRect().right <= document.getElementById('main').getBoundingClientRect().left + 1,
		wrapped: [...nav.querySelectorAll('a')].filter(a => { const r = document.createRange(); r.selectNodeContents(a);
			return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; }).map(a => a.textContent.trim()),
	} : null;
	return out;
})()`

// textProbe gathers what the page says in words, hidden parts (option lists, titles, labels, the
// questions of confirmations) too. Identifiers shown as code on purpose (.mono, code: audit action
// codes, references) are left out.
const textProbe = `(() => {
	const parts = [document.title];
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = walk.nextNode());)
		if (!n.parentElement.closest('.mono, code, kbd, samp, script, style')) parts.push(n.nodeValue);
	for (const e of document.querySelectorAll('[title], [placeholder], [aria-label], input[type=submit][value]'))
		parts.push((e.getAttribute('title') || '') + ' ' + (e.getAttribute('placeholder') || '')
			+ ' ' + (e.getAttribute('aria-label') || '') + ' ' + (e.type === 'submit' ? e.value : ''));
	for (const d of document.querySelectorAll('[hx-confirm]')) parts.push(d.getAttribute('hx-confirm'));
	return parts.join('\n');
})()`

// dialogProbe asks each confirmation the page has, through the portal's own handler (the event htmx
// raises before a request; nothing is sent), and measures the dialog; Cancel closes it.
const dialogProbe = `(() => {
	const w = window.innerWidth, h = window.innerHeight, out = [];
	for (const el of document.querySelectorAll('[hx-confirm]')) {
		const q = el.getAttribute('hx-confirm');
		el.dispatchEvent(new CustomEvent('htmx:confirm', {bubbles: true, cancelable: true,
			detail: {question: q, elt: el, issueRequest: () => {}}}));
		const dlg = document.getElementById('confirm');
		const r = dlg.getBoundingClientRect();
		const buttons = [...dlg.querySelectorAll('button')].map(b => b.getBoundingClientRect());
		const inside = x => x.left >= 0 && x.top >= 0 && x.right <= w && x.bottom <= h && x.width > 0;
		out.push({question: q.slice(0, 60), open: dlg.open, inside: inside(r) && buttons.every(inside),
			rect: [r.left, r.top, r.right, r.bottom].map(Math.round).join(',')});
		dlg.close('cancel');
	}
	return out;
})()`

// checkPage opens one page in one language and measures it at both screen sizes.
// confirmations counts the confirmation dialogs it measured.
func checkPage(t *testing.T, b context.Context, base, page, lang string, keys keyChecker, confirmations *int) []string {
	t.Helper()
	var problems []string
	at := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s [%s] ", page, lang)+fmt.Sprintf(format, args...))
	}
	var status int64
	require.NoError(t, chromedp.Run(b, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+page),
		chromedp.Evaluate(`performance.getEntriesByType('navigation')[0].responseStatus || 0`, &status)))
	if status != 200 {
		at("status %d", status)
		return problems
	}
	if page == "/admin/jobs" { // River's own app: only that it opens
		return problems
	}
	var text string
	require.NoError(t, chromedp.Run(b, chromedp.Evaluate(textProbe, &text)))
	for _, k := range keys.raw(text) {
		at("raw translation key %q", k)
	}
	for _, sc := range screens {
		var m struct {
			ScrollWidth int64    `json:"scrollWidth"`
			InnerWidth  int64    `json:"innerWidth"`
			Widest      []string `json:"widest"`
			Folds       []string `json:"folds"`
			Nav         *struct {
				Visible     bool     `json:"visible"`
				MenuVisible bool     `json:"menuVisible"`
				Lefts       []int64  `json:"lefts"`
				Beside      bool     `json:"beside"`
				Wrapped     []string `json:"wrapped"`
			} `json:"nav"`
		}
		var dialogs []struct {
			Question string `json:"question"`
			Open     bool   `json:"open"`
			Inside   bool   `json:"inside"`
			Rect     string `json:"rect"`
		}
		require.NoError(t, chromedp.Run(b, chromedp.EmulateViewport(sc.width, sc.height),
			chromedp.Evaluate(pageProbe, &m), chromedp.Evaluate(dialogProbe, &dialogs)))
		if m.ScrollWidth > m.InnerWidth {
			at("at %s the page is %d px wide; reaching past the edge: %s", sc.name, m.ScrollWidth, strings.Join(m.Widest, "; "))
		}
		for _, f := range m.Folds {
			at("at %s what folds out leaves the screen: %s", sc.name, f)
		}
		switch {
		case m.Nav == nil:
			at("at %s: no navigation", sc.name)
		case sc.width < 760 && (m.Nav.Visible || !m.Nav.MenuVisible):
			at("at %s the navigation should fold behind the menu button (shown %v, button %v)", sc.name, m.Nav.Visible, m.Nav.MenuVisible)
		case sc.width >= 760 && (!m.Nav.Visible || m.Nav.MenuVisible || len(m.Nav.Lefts) != 1 || !m.Nav.Beside || len(m.Nav.Wrapped) > 0):
			at("at %s the navigation should be one column beside the page, a line a link (shown %v, button %v, link columns at %v, beside %v, wrapped %q)",
				sc.name, m.Nav.Visible, m.Nav.MenuVisible, m.Nav.Lefts, m.Nav.Beside, m.Nav.Wrapped)
		}
		*confirmations += len(dialogs)
		for _, d := range dialogs {
			if !d.Open || !d.Inside {
				at("at %s the confirmation %q (open %v) is not inside the viewport: %s", sc.name, d.Question, d.Open, d.Rect)
			}
		}
	}
	return problems
}

// keyPattern is what a translation key looks like: lower-case words joined by dots (a permission's
// last part may carry a colon, as in perm.accounts:block).
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]+(\.[a-z0-9_]{2,}(:[a-z_]+)?)+$`)

// keyChecker finds translation keys shown raw.
type keyChecker struct {
	namespaces  map[string]bool // the first parts of the catalogue's keys
	identifiers map[string]bool // names that look like keys but are shown as they are on purpose
}

// raw returns the words of text that look like translation keys of the catalogue's desks
// (order.field.cost, perm.accounts:block), whether the catalogue has them or not.
func (k keyChecker) raw(text string) []string {
	seen := map[string]bool{}
	var keys []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\t' || r == '\u00a0' || r == '(' || r == ')' || r == '"' || r == '«' || r == '»' || r == ','
	}) {
		w = strings.TrimRight(w, ".;:!?'")
		if !keyPattern.MatchString(w) || seen[w] || k.identifiers[w] {
			continue
		}
		if ns, _, _ := strings.Cut(w, "."); k.namespaces[ns] || k.namespaces[ns+"s"] {
			seen[w] = true
			keys = append(keys, w)
		}
	}
	sort.Strings(keys)
	return keys
}

// keyNamespaces are the first parts of the catalogue's keys (nav, accounts, orders, perm...).
func keyNamespaces(t *testing.T) map[string]bool {
	t.Helper()
	ns := map[string]bool{}
	err := fs.WalkDir(os.DirFS("i18n"), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || filepath.Ext(name) != ".toml" {
			return err
		}
		var m map[string]any
		if _, err := toml.DecodeFile(filepath.Join("i18n", name), &m); err != nil {
			return err
		}
		for k := range m {
			first, _, _ := strings.Cut(k, ".")
			ns[first] = true
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, ns["nav"] && ns["accounts"], "catalogue read")
	return ns
}

var awaitPromise = func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// TestBrowserMenuFoldsBehindTheButton: on a phone the navigation opens from the menu button by
// keyboard (the focus goes to the current page's link) and by mouse, and Escape closes it with the
// focus back on the button. Desks the member may open nothing in have no heading.
func TestBrowserMenuFoldsBehindTheButton(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	b := admintest.Browser(t)
	type state struct {
		Expanded string   `json:"expanded"`
		Shown    bool     `json:"shown"`
		Focus    string   `json:"focus"`
		Current  []string `json:"current"`
		Headings []string `json:"headings"`
	}
	const probe = `(() => {
		const nav = document.getElementById('site-nav'), a = document.activeElement;
		return {expanded: document.querySelector('.menu-toggle').getAttribute('aria-expanded'), shown: nav.getBoundingClientRect().height > 0,
			focus: a.classList.contains('menu-toggle') ? 'button' : (a.getAttribute('href') || a.tagName),
			current: [...nav.querySelectorAll('a[aria-current=page]')].map(a => a.getAttribute('href')),
			headings: [...nav.querySelectorAll('.nav-heading')].map(h => h.textContent.trim())};
	})()`
	var closed, byKey, escaped, byMouse, again state
	require.NoError(t, chromedp.Run(b, chromedp.EmulateViewport(390, 844), admintest.LogIn(base, "admin@demo.postdesk"),
		chromedp.Navigate(base+"/finance/payouts/new"),
		chromedp.Evaluate(probe, &closed),
		chromedp.Focus(`.menu-toggle`, chromedp.ByQuery), chromedp.KeyEvent(kb.Enter), chromedp.Evaluate(probe, &byKey),
		chromedp.KeyEvent(kb.Escape), chromedp.Evaluate(probe, &escaped),
		chromedp.Click(`.menu-toggle`, chromedp.ByQuery), chromedp.Evaluate(probe, &byMouse),
		chromedp.Click(`.menu-toggle`, chromedp.ByQuery), chromedp.Evaluate(probe, &again),
	))
	require.Equal(t, state{Expanded: "false", Focus: "BODY", Current: []string{"/finance/payouts"},
		Headings: []string{"Work", "Money", "People", "Content", "System"}}, closed)
	require.Equal(t, "true", byKey.Expanded)
	require.True(t, byKey.Shown)
	require.Equal(t, "/finance/payouts", byKey.Focus, "the keyboard goes to the current page's link")
	require.Equal(t, "false", escaped.Expanded)
	require.False(t, escaped.Shown)
	require.Equal(t, "button", escaped.Focus, "Escape gives the focus back to the button")
	require.Equal(t, "true", byMouse.Expanded)
	require.True(t, byMouse.Shown)
	require.Equal(t, "false", again.Expanded)
	require.False(t, again.Shown)

	// The editor opens nothing about money or people: no heading for those desks.
	var editor state
	require.NoError(t, chromedp.Run(b, chromedp.EmulateViewport(1440, 900), network.ClearBrowserCookies(), admintest.LogIn(base, "editor@demo.postdesk"),
		chromedp.Evaluate(probe, &editor)))
	var want []string
	for _, n := range admin.Nav {
		if h := i18n.In("en", n.Group); n.Group != "" && env.Enforcer.Can([]string{"editor"}, n.Perm) && !slices.Contains(want, h) {
			want = append(want, h)
		}
	}
	require.Equal(t, want, editor.Headings)
	require.NotContains(t, editor.Headings, "Money")
	require.True(t, editor.Shown)
}
