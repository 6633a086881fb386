package views

import "testing"

func TestActiveMarksTheLongestSection(t *testing.T) {
	p := Page{Nav: []NavItem{{Href: "/"}, {Href: "/finance"}, {Href: "/finance/payouts"}, {Href: "/news"}}}
	for path, want := range map[string]string{
		"/":                    "/",
		"/finance":             "/finance",
		"/finance/statement":   "/finance",
		"/finance/payouts":     "/finance/payouts",
		"/finance/payouts/12":  "/finance/payouts",
		"/newsletter":          "",
		"/news/5":              "/news",
		"/financesomething/12": "",
	} {
		p.Path = path
		got := ""
		for _, n := range p.Nav {
			if p.Active(n.Href) {
				if got != "" {
					t.Fatalf("%s: both %s and %s are current", path, got, n.Href)
				}
				got = n.Href
			}
		}
		if got != want {
			t.Errorf("%s: current %q, want %q", path, got, want)
		}
	}
}
