// Package migrations holds the numbered SQL files that build Postdesk's schema.
// They are applied by tern (admin/db), after River's own schema (rivermigrate).
package migrations

import "embed"

// FS holds every migration; file names are NNN_name.sql and sort by number.
//
//go:embed *.sql
var FS embed.FS
