// Package i18n is the translation catalogue (en, ru, uk). Every user-facing string goes through T.
// Messages live in the embedded TOML files, one set per desk named <desk>.<lang>.toml (core.en.toml,
// orders.uk.toml ...); plural forms follow CLDR, so "3 дні" and "5 днів" both work.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.toml
var files embed.FS

// Langs are the supported UI languages, in the order the switcher shows them.
var Langs = []string{"uk", "ru", "en"}

// LangNames are each language's own name.
var LangNames = map[string]string{"uk": "Українська", "ru": "Русский", "en": "English"}

var (
	bundle     *goi18n.Bundle
	localizers = map[string]*goi18n.Localizer{}
	loadOnce   sync.Once
)

func load() {
	bundle = goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(files, "*.toml")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		if _, err := bundle.LoadMessageFileFS(files, name); err != nil {
			panic(fmt.Sprintf("i18n: %s: %v", name, err))
		}
	}
	for _, l := range Langs {
		localizers[l] = goi18n.NewLocalizer(bundle, l, "en")
	}
}

type ctxKey struct{}

// WithLang returns ctx carrying the user's language.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, Normalize(lang))
}

// Lang returns the language carried by ctx (Ukrainian when none is set).
func Lang(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok {
		return l
	}
	return "uk"
}

// Normalize maps anything to a supported language, "uk" by default.
func Normalize(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if len(lang) > 2 {
		lang = lang[:2]
	}
	for _, l := range Langs {
		if l == lang {
			return l
		}
	}
	return "uk"
}

// T translates id into ctx's language. args are name/value pairs for the message's placeholders
// ({{.Name}}); a "Count" argument selects the plural form. Unknown ids come back as they are,
// so a plain sentence passed through T still shows.
func T(ctx context.Context, id string, args ...any) string {
	return In(Lang(ctx), id, args...)
}

// In translates id into the given language.
func In(lang, id string, args ...any) string {
	loadOnce.Do(load)
	loc := localizers[Normalize(lang)]
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			name, _ := args[i].(string)
			data[name] = args[i+1]
			if name == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := loc.Localize(cfg)
	if (err != nil || s == "") && cfg.PluralCount != nil {
		// A message written as one sentence for any count has only the "other" form; use it
		// rather than show the id when the count asks for "one" or "few".
		cfg.PluralCount = nil
		s, err = loc.Localize(cfg)
	}
	if err != nil || s == "" {
		return id
	}
	return s
}

// Has tells whether the catalogue knows id (in English, the reference language).
func Has(id string) bool {
	loadOnce.Do(load)
	_, err := localizers["en"].Localize(&goi18n.LocalizeConfig{MessageID: id})
	return err == nil
}
