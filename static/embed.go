// Package static holds the files the browser loads (htmx, CSS, JS, images) and the fonts the PDF
// documents embed. Served under /static/ with long cache lifetimes: file names carry a version.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

// FS is every static file.
//
//go:embed css js fonts
var FS embed.FS

// Versioned static URLs: the file's content hash goes into the query string, so a changed file is
// fetched anew while unchanged ones stay cached for a year.
var hashes = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
}()

// URL returns /static/<name>?v=<hash>.
func URL(name string) string {
	return "/static/" + name + "?v=" + hashes[name]
}
