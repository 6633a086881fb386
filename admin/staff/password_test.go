package staff

import "testing"

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ pw, email, name, want string }{
		{"short", "a@b.c", "A", "staff.password_short"},
		{"aaaaaaaaaaaa", "a@b.c", "A", "staff.password_simple"},
		{"abababababab", "a@b.c", "A", "staff.password_simple"},
		{"qwertyuiop", "a@b.c", "A", "staff.password_common"},
		{"QwertyUiop", "a@b.c", "A", "staff.password_common"},
		{"1qaz2wsx3edc", "a@b.c", "A", "staff.password_common"},
		{"basketball2024!", "a@b.c", "A", "staff.password_common"},
		{"olena.k@firm.ua", "olena.k@firm.ua", "Olena K", "staff.password_personal"},
		{"my-olena.k-pass", "olena.k@firm.ua", "Olena K", "staff.password_personal"},
		{"kovalenko-2026!", "o.k@firm.ua", "Olena Kovalenko", "staff.password_personal"},
		{"ОленаКовальчук1", "o.k@firm.ua", "Олена Ковальчук", "staff.password_personal"},
		{"firmware-olena77", "olena@firm.ua", "O K", "staff.password_personal"},
		{string(make([]rune, 300)), "a@b.c", "A", "staff.password_long"},
		{"postdesk-demo", "editor@demo.postdesk", "Editor Example", ""},
		{"lilac tram at dawn", "olena@firm.ua", "Olena Kovalenko", ""},
		{"Kyiv-9-morning-fog", "ann@firm.ua", "Ann Lee", ""},
	} {
		if got := passwordProblem(tc.pw, tc.email, tc.name); got != tc.want {
			t.Errorf("passwordProblem(%q, %q, %q) = %q, want %q", tc.pw, tc.email, tc.name, got, tc.want)
		}
	}
}
