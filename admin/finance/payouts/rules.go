// Package payouts is the payout desk (RULES.md §3.4): finance enters a user's request to be paid
// out to their card, a second officer approves large ones (maker–checker), and a River job pays
// each approved payout through the gateway exactly once (execute.go).
//
// Money moves only through the ledger: placing a payout moves it from the user's available
// balance to payouts pending; the gateway's approval moves it on to gateway clearing; a refusal or a
// final decline moves it back to available.
package payouts

import (
	"slices"
	"strings"
	"unicode"
)

// State is where a payout is in its life.
type State string

const (
	PendingApproval State = "pending_approval" // above the threshold: waits for a second officer
	Approved        State = "approved"         // the job will send it
	Sending         State = "sending"          // the job has (maybe) sent it; the gateway's answer is awaited
	Paid            State = "paid"             // the gateway approved it: money is in gateway clearing
	Failed          State = "failed"           // the gateway declined it: money is back in available
	Refused         State = "refused"          // an officer refused it: money is back in available
)

// States lists every state, in the order the list filter shows them.
var States = []State{PendingApproval, Approved, Sending, Paid, Failed, Refused}

// Final tells whether nothing more will happen to a payout in this state.
func (s State) Final() bool { return s == Paid || s == Failed || s == Refused }

// translit spells Ukrainian, Russian and Kazakh letters in Latin the way card embossing does,
// so "Олена Коваленко" matches "OLENA KOVALENKO".
var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'е': "e", 'є': "ie", 'ж': "zh", 'з': "z",
	'и': "y", 'і': "i", 'ї': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ь': "", 'ъ': "", 'ю': "iu", 'я': "ia", 'ё': "e", 'ы': "y", 'э': "e",
	'ә': "a", 'ғ': "g", 'қ': "k", 'ң': "n", 'ө': "o", 'ұ': "u", 'ү': "u", 'һ': "h",
	'\'': "", '’': "", 'ʼ': "",
}

// NormaliseName reduces a person's name to comparable tokens: Latin letters only, lower case,
// Cyrillic transliterated, punctuation dropped, sorted (cards print "SURNAME NAME" or "NAME
// SURNAME"). Spellings of г, х, и, й differ between standards, so they are folded (see folds).
func NormaliseName(name string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if s, ok := translit[r]; ok {
			b.WriteString(s)
			continue
		}
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case unicode.IsSpace(r) || r == '-' || r == '.' || r == ',':
			b.WriteByte(' ')
		}
	}
	tokens := strings.Fields(b.String())
	for i, t := range tokens {
		tokens[i] = squeeze(folds.Replace(t))
	}
	slices.Sort(tokens)
	return tokens
}

// folds merges spellings that transliteration standards disagree on.
var folds = strings.NewReplacer("kh", "g", "h", "g", "y", "i", "j", "i")

// squeeze collapses doubled letters: "mariia" and "maria" are one name.
func squeeze(s string) string {
	var b strings.Builder
	var last rune
	for _, r := range s {
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// HolderMatches tells whether the name on the card is the account holder's: the same tokens
// after normalisation. A card may leave out a middle name (patronymic), so the card's tokens
// must all be the holder's, and at least two of them.
func HolderMatches(cardHolder, accountHolder string) bool {
	card, holder := NormaliseName(cardHolder), NormaliseName(accountHolder)
	if len(card) < 2 || len(holder) < 2 {
		return len(card) > 0 && slices.Equal(card, holder)
	}
	for _, t := range card {
		if !slices.Contains(holder, t) {
			return false
		}
	}
	return true
}
