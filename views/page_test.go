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

func TestNavGroupsKeepDeskOrderAndSkipEmptyDesks(t *testing.T) {
	p := Page{Nav: []NavItem{{Href: "/"}, {Href: "/orders", Group: "nav.group.work"}, {Href: "/finance", Group: "nav.group.money"},
		{Href: "/complaints", Group: "nav.group.work"}}}
	g := p.NavGroups()
	if len(g) != 3 || g[0].Key != "" || g[1].Key != "nav.group.work" || g[2].Key != "nav.group.money" {
		t.Fatalf("groups %+v", g)
	}
	if len(g[1].Items) != 2 || g[1].Items[1].Href != "/complaints" {
		t.Fatalf("work desk %+v", g[1].Items)
	}
	if len((Page{}).NavGroups()) != 0 {
		t.Fatal("no entries, no groups")
	}
}
