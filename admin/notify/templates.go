package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/postdesk/postdesk/admin/i18n"
)

// Templates are templates/<key>.<lang>.tmpl, one per language (en, ru, uk), each defining
// "subject", "text" and "sms". Inside, t translates a catalogue key into the notice's language and
// datetime shows an RFC 3339 time in the platform's zone. Other desks add their files here.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	tplOnce sync.Once
	tpls    map[string]*template.Template // "key.lang"
	tplErr  error
)

func loadTemplates() {
	tpls = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		tplErr = err
		return
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".tmpl")
		key, lang, ok := strings.Cut(base, ".")
		if !ok {
			tplErr = fmt.Errorf("notify: template %s: want <key>.<lang>.tmpl", name)
			return
		}
		t, err := template.New(base).Option("missingkey=zero").Funcs(funcs(lang)).ParseFS(templateFS, name)
		if err != nil {
			tplErr = fmt.Errorf("notify: template %s: %w", name, err)
			return
		}
		tpls[key+"."+lang] = t
	}
}

func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":        func(id string) string { return i18n.In(lang, id) },
		"datetime": datetimeIn(time.UTC), // Render binds the platform's zone
	}
}

// datetimeIn shows an RFC 3339 time in loc.
func datetimeIn(loc *time.Location) func(v any) string {
	return func(v any) string {
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
}

// HasTemplate tells whether key has a template in every language.
func HasTemplate(key string) bool {
	tplOnce.Do(loadTemplates)
	for _, l := range i18n.Langs {
		if tpls[key+"."+l] == nil {
			return false
		}
	}
	return true
}

// TemplateKeys lists the templates (each has all languages; see the test).
func TemplateKeys() []string {
	tplOnce.Do(loadTemplates)
	seen := map[string]bool{}
	var out []string
	for k := range tpls {
		key, _, _ := strings.Cut(k, ".")
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	return out
}

// Message is a rendered notice.
type Message struct {
	Subject string
	Text    string
	HTML    string // optional alternative part (news carries its sanitised HTML)
	SMS     string
}

var htmlWrap = htmltemplate.Must(htmltemplate.New("html").Parse(
	`<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{.Title}}</title></head><body><h1>{{.Title}}</h1>{{.Body}}</body></html>`))

// Render fills template key in lang with data; times are shown in loc, the platform's zone.
func Render(key, lang string, loc *time.Location, data map[string]any) (Message, error) {
	tplOnce.Do(loadTemplates)
	if tplErr != nil {
		return Message{}, tplErr
	}
	t := tpls[key+"."+i18n.Normalize(lang)]
	if t == nil {
		return Message{}, fmt.Errorf("notify: no template %s.%s", key, lang)
	}
	if data == nil {
		data = map[string]any{}
	}
	if loc == nil {
		loc = time.UTC
	}
	t, err := t.Clone()
	if err != nil {
		return Message{}, err
	}
	t.Funcs(template.FuncMap{"datetime": datetimeIn(loc)})
	var m Message
	for _, part := range []struct {
		name string
		dst  *string
	}{{"subject", &m.Subject}, {"text", &m.Text}, {"sms", &m.SMS}} {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, part.name, data); err != nil {
			return Message{}, fmt.Errorf("notify: render %s.%s %s: %w", key, lang, part.name, err)
		}
		*part.dst = strings.TrimSpace(b.String())
	}
	m.Subject = strings.Join(strings.Fields(m.Subject), " ") // a header is one line
	if h, ok := data["html"].(string); ok && h != "" {
		// The HTML was sanitised when it was saved (news); it is trusted here.
		var b bytes.Buffer
		//nolint:gosec // G203: sanitised by bluemonday when the news item was saved
		if err := htmlWrap.Execute(&b, map[string]any{"Title": m.Subject, "Body": htmltemplate.HTML(h)}); err != nil {
			return Message{}, err
		}
		m.HTML = b.String()
	}
	return m, nil
}
