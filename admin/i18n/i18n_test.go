package i18n

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"
)

// Every message exists in all three languages: a key added in English only would show English
// (or the bare key) to Ukrainian and Russian users.
func TestCataloguesAreComplete(t *testing.T) {
	keys := map[string]map[string]bool{}
	names, err := fs.Glob(files, "*.toml")
	require.NoError(t, err)
	for _, name := range names {
		parts := strings.Split(name, ".")
		desk, lang := parts[0], parts[len(parts)-2]
		var m map[string]any
		_, err := toml.DecodeFS(files, name, &m)
		require.NoError(t, err, name)
		for k := range m {
			if keys[desk+"|"+k] == nil {
				keys[desk+"|"+k] = map[string]bool{}
			}
			keys[desk+"|"+k][lang] = true
		}
	}
	for k, langs := range keys {
		for _, l := range Langs {
			require.True(t, langs[l], "%s has no %s translation", k, l)
		}
	}
}

func TestPluralsAndFallback(t *testing.T) {
	require.Equal(t, "Log in", In("en", "login.submit"))
	require.Equal(t, "Увійти", In("uk", "login.submit"))
	require.Equal(t, "Войти", In("ru", "login.submit"))
	require.Equal(t, "no.such.key", In("uk", "no.such.key"))
	require.Equal(t, "Hello, Ана", In("en", "dash.hello", "Name", "Ана"))
}

// Messages counted by "Count" read for every count in every language, whether written with
// plural forms or as one sentence.
func TestCountedMessagesReadForEveryCount(t *testing.T) {
	for _, id := range []string{"recon.unresolved_left", "recon.ui.loaded", "orders.import_more", "payouts.ui.attempts"} {
		for _, lang := range []string{"en", "ru", "uk"} {
			for _, n := range []int{0, 1, 2, 5, 21} {
				if got := In(lang, id, "Count", n); got == id || !strings.Contains(got, fmt.Sprint(n)) {
					t.Errorf("%s in %s for %d: %q", id, lang, n, got)
				}
			}
		}
	}
}
