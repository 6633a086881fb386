package api_test

import (
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/api"
)

// redocly is the linter at the version the Makefile's test-deps installs.
const redocly = "@redocly/cli@2.77.0"

// The description the API serves passes Redocly's recommended rules with no error and no warning.
func TestServedDescriptionLintsClean(t *testing.T) {
	t.Parallel()
	npx, err := exec.LookPath("npx")
	if err != nil {
		t.Skip("npx is not installed (make test-deps installs Node.js and " + redocly + ")")
	}
	app := fiber.New()
	api.Mount(app, &api.Handlers{})
	resp, err := app.Test(httptest.NewRequest("GET", "/api/v1/openapi.json", nil), -1)
	require.NoError(t, err)
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	file := filepath.Join(t.TempDir(), "openapi.json")
	require.NoError(t, os.WriteFile(file, served, 0o600))
	cmd := exec.Command(npx, "-y", redocly, "lint", file)
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Your API description is valid", "%s", out)
	require.NotRegexp(t, `You have \d+ warnings?`, string(out), "no warnings")
	require.NotRegexp(t, `\d+ errors?`, string(out), "no errors")
}
