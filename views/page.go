// Package views holds the templ components: the layout, shared widgets, and one folder per desk.
// Components take plain data; every visible string goes through i18n.T with the request's context.
package views

import (
	"context"
	"strings"
	"time"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/static"
)

// Page is what the layout needs to know about the request.
type Page struct {
	Title string
	Lang  string
	Path  string
	CSRF  string
	User  *User
	Nav   []NavItem
}

// User is the logged-in staff member as the layout shows them.
type User struct {
	ID    int64
	Name  string
	Email string
}

// NavItem is one entry of the navigation; the server lists only those the user may use.
type NavItem struct {
	Key   string // translation key
	Href  string
	Group string // translation key of the desk's heading ("" for entries above the groups)
}

// NavGroup is one desk's heading and its entries, as the sidebar shows them.
type NavGroup struct {
	Key   string // translation key of the heading; "" for the entries above every heading
	Items []NavItem
}

// ID is the element id of the desk's heading.
func (g NavGroup) ID() string { return "nav-" + strings.TrimPrefix(g.Key, "nav.group.") }

// NavGroups gathers the navigation by desk, in the order the desks first appear. A desk none of
// whose entries the user may open has no entries here, so it has no heading either.
func (p Page) NavGroups() []NavGroup {
	var groups []NavGroup
	at := map[string]int{}
	for _, n := range p.Nav {
		i, ok := at[n.Group]
		if !ok {
			i = len(groups)
			at[n.Group] = i
			groups = append(groups, NavGroup{Key: n.Group})
		}
		groups[i].Items = append(groups[i].Items, n)
	}
	return groups
}

// T is i18n.T, short for templates.
func T(ctx context.Context, id string, args ...any) string { return i18n.T(ctx, id, args...) }

// Asset returns the cache-busting URL of a static file.
func Asset(name string) string { return static.URL(name) }

// Active tells whether a nav link is the current section: the longest link whose path the page's
// path is or lies under (so /finance/payouts marks Payouts, not Finance too).
func (p Page) Active(href string) bool {
	if !under(p.Path, href) {
		return false
	}
	for _, n := range p.Nav {
		if len(n.Href) > len(href) && under(p.Path, n.Href) {
			return false
		}
	}
	return true
}

// under tells whether path is section or a page below it.
func under(path, section string) bool {
	if section == "/" {
		return path == "/"
	}
	return path == section || strings.HasPrefix(path, strings.TrimSuffix(section, "/")+"/")
}

func csrfHeaders(token string) string {
	return `{"X-CSRF-Token": "` + token + `"}`
}

// Date shows a day in the platform's zone (the request's actor carries it).
func Date(ctx context.Context, t time.Time) string { return t.In(actor.Zone(ctx)).Format("2006-01-02") }

// DateTime shows a moment in the platform's zone.
func DateTime(ctx context.Context, t time.Time) string {
	return t.In(actor.Zone(ctx)).Format("2006-01-02 15:04")
}

type csrfKey struct{}

// WithCSRF puts the request's CSRF token where forms can reach it.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRFToken returns the request's CSRF token.
func CSRFToken(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey{}).(string)
	return s
}
