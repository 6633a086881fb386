package recon

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type outcome struct {
	kind       Kind
	line, entr string // references, "" for none
	byRef      bool
}

func run(lines []Line, entries []Entry, s Settings) map[outcome]int {
	got := map[outcome]int{}
	Match(lines, entries, s, func(p Pair) {
		o := outcome{kind: p.Kind, byRef: p.ByReference, line: "-", entr: "-"}
		if p.Line >= 0 {
			o.line = fmt.Sprint(lines[p.Line].No)
		}
		if p.Entry >= 0 {
			o.entr = fmt.Sprint(entries[p.Entry].Transfer)
		}
		got[o]++
	})
	return got
}

const h = 3600

// Each exception kind appears exactly when it should, and every line and entry is accounted for
// once.
func TestMatchKinds(t *testing.T) {
	s := Settings{AmountTolerance: 0, DateToleranceH: 24, Basis: Gross}
	lines := []Line{
		{No: 1, Ref: "PO1", Amount: 1000, At: 10 * h}, // matched by reference
		{No: 2, Ref: "PO2", Amount: 2000, At: 10 * h}, // amount mismatch with entry 2
		{No: 3, Ref: "PO3", Amount: 3000, At: 10 * h}, // duplicate: PO3 twice at the gateway
		{No: 4, Ref: "PO3", Amount: 3000, At: 11 * h}, //
		{No: 5, Ref: "X-1", Amount: 5000, At: 10 * h}, // no such reference in the ledger, but amount and time match entry 5
		{No: 6, Ref: "X-2", Amount: 6000, At: 10 * h}, // missing in the ledger
		{No: 7, Ref: "", Amount: 7000, At: 100 * h},   // too far in time from entry 7: missing in the ledger
	}
	entries := []Entry{
		{Transfer: 1, Ref: "PO1", Amount: 1000, At: 10 * h},
		{Transfer: 2, Ref: "PO2", Amount: 2500, At: 10 * h},
		{Transfer: 3, Ref: "PO3", Amount: 3000, At: 10 * h},
		{Transfer: 5, Ref: "", Amount: 5000, At: 20 * h},
		{Transfer: 7, Ref: "", Amount: 7000, At: 50 * h},    // missing at the gateway
		{Transfer: 8, Ref: "PO8", Amount: 8000, At: 10 * h}, // missing at the gateway
	}
	got := run(lines, entries, s)
	require.Equal(t, map[outcome]int{
		{kind: Matched, line: "1", entr: "1", byRef: true}:        1,
		{kind: AmountMismatch, line: "2", entr: "2", byRef: true}: 1,
		{kind: Matched, line: "3", entr: "3", byRef: true}:        1,
		{kind: Duplicate, line: "4", entr: "-"}:                   1,
		{kind: Matched, line: "5", entr: "5"}:                     1,
		{kind: MissingInLedger, line: "6", entr: "-"}:             1,
		{kind: MissingInLedger, line: "7", entr: "-"}:             1,
		{kind: MissingAtGateway, line: "-", entr: "7"}:            1,
		{kind: MissingAtGateway, line: "-", entr: "8"}:            1,
	}, got)
}

func TestMatchTolerancesAndNetBasis(t *testing.T) {
	lines := []Line{{No: 1, Ref: "PO1", Amount: 1005, Fee: 5, At: 0}, {No: 2, Amount: 2003, At: 30 * h}}
	entries := []Entry{{Transfer: 1, Ref: "PO1", Amount: 1000, At: 0}, {Transfer: 2, Amount: 2000, At: 0}}

	// Gross, exact: PO1 differs by the fee; line 2 is 3 units and 30 hours away.
	got := run(lines, entries, Settings{DateToleranceH: 24, Basis: Gross})
	require.Equal(t, 1, got[outcome{kind: AmountMismatch, line: "1", entr: "1", byRef: true}])
	require.Equal(t, 1, got[outcome{kind: MissingInLedger, line: "2", entr: "-"}])

	// Net of the fee PO1 agrees; 5 units and 48 hours of tolerance take line 2 in.
	got = run(lines, entries, Settings{AmountTolerance: 5, DateToleranceH: 48, Basis: Net})
	require.Equal(t, 1, got[outcome{kind: Matched, line: "1", entr: "1", byRef: true}])
	require.Equal(t, 1, got[outcome{kind: Matched, line: "2", entr: "2"}])
	require.Len(t, got, 2)
}

// Nearest in time wins, and an entry is never used twice.
func TestMatchNearestFirstAndOnce(t *testing.T) {
	lines := []Line{{No: 1, Amount: 500, At: 10 * h}, {No: 2, Amount: 500, At: 12 * h}, {No: 3, Amount: 500, At: 11 * h}}
	entries := []Entry{{Transfer: 1, Amount: 500, At: 12 * h}, {Transfer: 2, Amount: 500, At: 9 * h}}
	got := run(lines, entries, Settings{DateToleranceH: 5})
	require.Equal(t, 1, got[outcome{kind: Matched, line: "1", entr: "2"}])
	require.Equal(t, 1, got[outcome{kind: Matched, line: "3", entr: "1"}])
	require.Equal(t, 1, got[outcome{kind: MissingInLedger, line: "2", entr: "-"}])
}

// BenchmarkMatchMillion reconciles 1,000,000 statement lines against 1,000,000 ledger entries:
// 98 % pair by reference, the rest split between amount/date matches, mismatches, duplicates and
// missing on either side.
func BenchmarkMatchMillion(b *testing.B) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	lines := make([]Line, n)
	entries := make([]Entry, n)
	for i := range n {
		ref := fmt.Sprintf("PO%09d", i)
		amt := int64(100 + r.IntN(1_000_000))
		at := base + int64(r.IntN(30*24*3600))
		lines[i] = Line{No: int32(i + 2), Ref: ref, Amount: amt, Fee: amt / 200, At: at}
		entries[i] = Entry{Transfer: int64(i + 1), Ref: ref, Amount: amt, At: at - int64(r.IntN(3600))}
		switch k := r.IntN(100); {
		case k == 0:
			lines[i].Ref = "" // amount and date
		case k == 1:
			lines[i].Amount++ // mismatch
		case k == 2 && i > 0:
			lines[i].Ref = lines[i-1].Ref // duplicate
		}
	}
	runtime.GC()
	b.ResetTimer()
	for range b.N {
		counts := map[Kind]int{}
		Match(lines, entries, Settings{DateToleranceH: 48, Basis: Gross}, func(p Pair) { counts[p.Kind]++ })
		if counts[Matched] < n*9/10 {
			b.Fatalf("only %d matched", counts[Matched])
		}
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(2*n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
}
