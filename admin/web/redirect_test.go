package web

import "testing"

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
