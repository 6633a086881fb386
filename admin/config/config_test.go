package config

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var ticked = regexp.MustCompile("`([^`]*)`")

// The README's configuration tables list exactly the options of the table in options.go, with
// the same flags and defaults: the table is the one place options live, the README its mirror.
func TestREADMEListsEveryOption(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	inREADME := map[string]string{} // env or -flag → default as the README gives it ("" for none)
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") && !strings.HasPrefix(strings.TrimSpace(cells[2]), "`-") {
			continue
		}
		names := ticked.FindAllStringSubmatch(cells[1], -1)
		defCell := cells[2]
		if len(cells) >= 6 { // variable | flag | default | meaning
			for _, f := range ticked.FindAllStringSubmatch(cells[2], -1) {
				if len(names) == 0 {
					names = append(names, f)
				}
			}
			defCell = cells[3]
		}
		defs := ticked.FindAllStringSubmatch(defCell, -1)
		for i, n := range names {
			if !strings.HasPrefix(n[1], "POSTDESK_") && n[1] != "DATABASE_URL" && !strings.HasPrefix(n[1], "-") {
				continue
			}
			def := ""
			if len(defs) == len(names) && !strings.Contains(defCell, "(") && !strings.Contains(defCell, "generated") {
				def = defs[i][1]
			}
			inREADME[n[1]] = def
		}
	}
	want := map[string]string{}
	for _, o := range Options() {
		name := o.Env
		if name == "" {
			name = "-" + o.Flag
		}
		want[name] = o.Default
	}
	for name := range want {
		_, ok := inREADME[name]
		require.True(t, ok, "README's configuration tables lack %s", name)
	}
	for name, def := range inREADME {
		wantDef, ok := want[name]
		require.True(t, ok, "README lists %s, which is no option (admin/config/options.go)", name)
		if def != "" {
			require.Equal(t, wantDef, def, "README's default of %s", name)
		}
	}
}

func TestDefaultsParse(t *testing.T) {
	t.Setenv("POSTDESK_GATEWAY_TIMEOUT", "")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c := Flags(fs)
	require.NoError(t, fs.Parse([]string{"-data-dir", t.TempDir(), "-tz", "Europe/Kyiv", "-workers", "3"}))
	require.NoError(t, c.Finish())
	require.Equal(t, "Europe/Kyiv", c.TZ.String())
	require.Equal(t, 3, c.Workers)
	require.NotEmpty(t, c.SessionSecret, "generated into the data folder")
	require.Equal(t, 15*time.Second, c.GatewayTimeout)
}

func TestBadValuesAreRefusedWithTheirName(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c := Flags(fs)
	require.NoError(t, fs.Parse([]string{"-data-dir", t.TempDir(), "-tz", "Mars/Olympus"}))
	err := c.Finish()
	require.ErrorContains(t, err, "POSTDESK_TZ")
}
