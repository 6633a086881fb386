// Package recon reconciles the payment gateway's statements with the ledger's gateway-clearing
// entries (RULES.md §3.5), period by period: load a statement (from the gateway's API or its
// CSV/XLSX export), match it, let people resolve each exception, export the results, and close the
// period, after which it is read-only and keeps its closing balances.
package recon

import (
	"cmp"
	"slices"
	"strings"
)

// Kind is a matching outcome.
type Kind string

const (
	Matched          Kind = "matched"
	MissingInLedger  Kind = "missing_in_ledger"  // the gateway moved money the ledger does not know of
	MissingAtGateway Kind = "missing_at_gateway" // the ledger says money moved; the gateway does not
	AmountMismatch   Kind = "amount_mismatch"    // same reference, different amounts
	Duplicate        Kind = "duplicate"          // a reference appears more often on one side than the other
)

// Kinds in the order pages show them.
var Kinds = []Kind{Matched, MissingInLedger, MissingAtGateway, AmountMismatch, Duplicate}

// Basis says which statement amount is compared with the ledger: gross, or net of the gateway's fee.
type Basis string

const (
	Gross Basis = "gross"
	Net   Basis = "net"
)

// Settings are a period's matching tolerances.
type Settings struct {
	AmountTolerance int64 // minor units either way
	DateToleranceH  int   // hours either way
	Basis           Basis
}

// Line is one statement line as matching needs it. At is Unix seconds.
type Line struct {
	No          int32
	Ref         string
	Amount, Fee int64
	At          int64
	Currency    string
}

// Entry is one gateway-clearing ledger entry as matching needs it; Amount is its absolute value.
type Entry struct {
	Transfer int64
	Ref      string
	Amount   int64
	At       int64
	Currency string
}

// Pair is one matching outcome: indexes into the lines and entries given to Match (-1: none).
type Pair struct {
	Kind        Kind
	ByReference bool
	Line, Entry int32
}

// Match pairs statement lines with ledger entries and calls emit once per outcome: every line and
// every entry appears in exactly one Pair. References come first: equal references pair up,
// as matched when the amounts agree within the tolerance, else as an amount mismatch; a reference
// seen more often on one side than the other gives duplicates. What is left is paired by amount
// (within the tolerance) and time (within the hours), nearest in time first; the rest is missing on
// the other side. It sorts index slices rather than copying records, so memory stays near
// 8 bytes per record on top of the input.
//
// Only amounts of one currency are compared: a EUR line never matches a UAH entry, whatever the
// reference or amount. When the two sides hold more than one currency, each currency is matched
// on its own.
func Match(lines []Line, entries []Entry, s Settings, emit func(Pair)) {
	currencies := map[string]bool{}
	for i := range lines {
		currencies[lines[i].Currency] = true
	}
	for i := range entries {
		currencies[entries[i].Currency] = true
	}
	if len(currencies) <= 1 {
		match(lines, entries, s, emit)
		return
	}
	order := make([]string, 0, len(currencies))
	for c := range currencies {
		order = append(order, c)
	}
	slices.Sort(order)
	for _, c := range order {
		var subL []Line
		var subE []Entry
		var mapL, mapE []int32
		for i := range lines {
			if lines[i].Currency == c {
				subL, mapL = append(subL, lines[i]), append(mapL, int32(i))
			}
		}
		for i := range entries {
			if entries[i].Currency == c {
				subE, mapE = append(subE, entries[i]), append(mapE, int32(i))
			}
		}
		match(subL, subE, s, func(p Pair) {
			if p.Line >= 0 {
				p.Line = mapL[p.Line]
			}
			if p.Entry >= 0 {
				p.Entry = mapE[p.Entry]
			}
			emit(p)
		})
	}
}

func match(lines []Line, entries []Entry, s Settings, emit func(Pair)) {
	amount := func(l *Line) int64 {
		if s.Basis == Net {
			return l.Amount - l.Fee
		}
		return l.Amount
	}
	within := func(a, b int64) bool { d := a - b; return d <= s.AmountTolerance && -d <= s.AmountTolerance }

	li := make([]int32, len(lines))
	for i := range li {
		li[i] = int32(i)
	}
	ei := make([]int32, len(entries))
	for i := range ei {
		ei[i] = int32(i)
	}
	slices.SortFunc(li, func(a, b int32) int {
		return cmp.Or(strings.Compare(lines[a].Ref, lines[b].Ref), cmp.Compare(lines[a].At, lines[b].At))
	})
	slices.SortFunc(ei, func(a, b int32) int {
		return cmp.Or(strings.Compare(entries[a].Ref, entries[b].Ref), cmp.Compare(entries[a].At, entries[b].At))
	})

	// Phase 1: by reference. Lines and entries left over are compacted to the front of li and ei.
	var nl, ne int
	i, j := 0, 0
	for i < len(li) || j < len(ei) {
		var ref string
		switch {
		case i >= len(li):
			ref = entries[ei[j]].Ref
		case j >= len(ei):
			ref = lines[li[i]].Ref
		default:
			ref = min(lines[li[i]].Ref, entries[ei[j]].Ref)
		}
		i0, j0 := i, j
		for i < len(li) && lines[li[i]].Ref == ref {
			i++
		}
		for j < len(ei) && entries[ei[j]].Ref == ref {
			j++
		}
		gl, ge := li[i0:i], ei[j0:j]
		if ref == "" { // no reference: only amount and date can match it
			nl += copy(li[nl:], gl)
			ne += copy(ei[ne:], ge)
			continue
		}
		k := 0
		for ; k < len(gl) && k < len(ge); k++ {
			kind := AmountMismatch
			if within(amount(&lines[gl[k]]), entries[ge[k]].Amount) {
				kind = Matched
			}
			emit(Pair{Kind: kind, ByReference: true, Line: gl[k], Entry: ge[k]})
		}
		switch {
		case len(ge) == 0: // unknown to the ledger: the first may still match by amount and date
			li[nl] = gl[0]
			nl++
			for _, l := range gl[1:] {
				emit(Pair{Kind: Duplicate, Line: l, Entry: -1})
			}
		case len(gl) == 0:
			ei[ne] = ge[0]
			ne++
			for _, e := range ge[1:] {
				emit(Pair{Kind: Duplicate, Line: -1, Entry: e})
			}
		default:
			for _, l := range gl[k:] {
				emit(Pair{Kind: Duplicate, Line: l, Entry: -1})
			}
			for _, e := range ge[k:] {
				emit(Pair{Kind: Duplicate, Line: -1, Entry: e})
			}
		}
	}
	li, ei = li[:nl], ei[:ne]

	// Phase 2: by amount and time. Entries sorted by (amount, time); each line looks at every
	// amount within the tolerance and takes the unused entry nearest in time within the hours.
	slices.SortFunc(ei, func(a, b int32) int {
		return cmp.Or(cmp.Compare(entries[a].Amount, entries[b].Amount), cmp.Compare(entries[a].At, entries[b].At))
	})
	slices.SortFunc(li, func(a, b int32) int { return cmp.Compare(lines[a].At, lines[b].At) })
	used := make([]bool, len(ei))
	// next[k] skips used entries to the right (path-compressed), so long runs of equal amounts
	// stay cheap.
	next := make([]int32, len(ei)+1)
	for k := range next {
		next[k] = int32(k)
	}
	find := func(k int32) int32 {
		for next[k] != k {
			next[k] = next[next[k]]
			k = next[k]
		}
		return k
	}
	window := int64(s.DateToleranceH) * 3600
	for _, l := range li {
		a, at := amount(&lines[l]), lines[l].At
		lo, _ := slices.BinarySearchFunc(ei, a-s.AmountTolerance, func(e int32, v int64) int { return cmp.Compare(entries[e].Amount, v) })
		best, bestD := int32(-1), int64(-1)
		for k := lo; k < len(ei) && entries[ei[k]].Amount <= a+s.AmountTolerance; {
			// Within this amount, start at the first entry not earlier than at-window.
			v := entries[ei[k]].Amount
			end, _ := slices.BinarySearchFunc(ei[k:], v+1, func(e int32, x int64) int { return cmp.Compare(entries[e].Amount, x) })
			end += k
			start, _ := slices.BinarySearchFunc(ei[k:end], at-window, func(e int32, x int64) int { return cmp.Compare(entries[e].At, x) })
			for p := find(int32(k + start)); int(p) < end; p = find(p + 1) {
				d := entries[ei[p]].At - at
				if d > window {
					break
				}
				if d < 0 {
					d = -d
				}
				if best < 0 || d < bestD {
					best, bestD = p, d
				}
				if entries[ei[p]].At >= at {
					break // later ones are further away
				}
			}
			k = end
		}
		if best < 0 {
			emit(Pair{Kind: MissingInLedger, Line: l, Entry: -1})
			continue
		}
		used[best] = true
		next[best] = best + 1
		emit(Pair{Kind: Matched, Line: l, Entry: ei[best]})
	}
	for k, e := range ei {
		if !used[k] {
			emit(Pair{Kind: MissingAtGateway, Line: -1, Entry: e})
		}
	}
}
