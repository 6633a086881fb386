package web

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"/accounts", "/accounts"},
		{"/accounts/12?tab=orders#api-keys", "/accounts/12?tab=orders#api-keys"},
		{"/orders?q=ivan%20petrenko&sort=cost", "/orders?q=ivan%20petrenko&sort=cost"},
		{"/news/ціна", "/news/ціна"},
		{"/", "/"},
		{"", "/"},
		{"accounts", "/"},
		{"//evil.example/", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5cevil.example", "/"},
		{"/%255Cevil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"/%2Fevil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/%09/evil.example", "/"},
		{"/%0d%0aSet-Cookie:x=1", "/"},
		{"/a\x00b", "/"},
		{"/a%00b", "/"},
		{"/a\x7fb", "/"},
		{"/a\u2028b", "/"},
		{"/a\u0085b", "/"},
		{"/\xff", "/"},
		{"/%ff", "/"},
		{"/%zz", "/"},
		{"http://evil.example/", "/"},
		{"https:evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"//user@evil.example", "/"},
		{" /accounts", "/"},
	} {
		if got := SafeNext(tc.in); got != tc.want {
			t.Errorf("SafeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Every redirect a handler makes goes through the same check, whatever it was built from.
func TestRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Get("/go", func(c *fiber.Ctx) error { return Redirect(c, c.Query("to")) })
	for to, want := range map[string]string{"/accounts/5#api-keys": "/accounts/5#api-keys", `/\evil.example`: "/", "//evil.example": "/"} {
		resp, err := app.Test(httptest.NewRequest("GET", "/go?to="+url.QueryEscape(to), nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("Redirect(%q): Location %q, want %q", to, got, want)
		}
	}
}
