package complaints

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/admin/money"
)

// The decision letter lists demands and measures one per line under headings without the form's
// hints, with a rating cut's points and an amount's currency.
func TestLetterListsDemandsAndMeasuresReadably(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	decided := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := &Store{Loc: time.UTC, Currency: "UAH"}
	c := Complaint{Number: "CM-000042", ComplainantLang: "en", ComplainantName: "Olena", ReceivedAt: decided.AddDate(0, 0, -5),
		Grounds: "Parcel damaged", DecidedAt: &decided, Outcome: "upheld", Reasoning: "The photos show the damage."}
	demands := []Demand{{Text: "Refund the delivery cost"}, {Text: "Apologise in writing"}}
	acts := []ActionRow{{Kind: ActCompensation, Amount: 1500_00}, {Kind: ActRatingCut, Amount: 5}, {Kind: ActBlock}}
	pdf, err := s.LetterPDF(c, demands, acts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		lines[strings.Join(strings.Fields(l), " ")] = true
	}
	for _, want := range []string{
		"Demands", "— Refund the delivery cost", "— Apologise in writing",
		"Measures", "— Compensation from the platform: " + money.Format(1500_00, "UAH", "en"),
		"— Rating cut: 5 points", "— Block the respondent's account",
	} {
		if !lines[strings.Join(strings.Fields(want), " ")] { // the amount's no-break space too
			t.Errorf("no line %q in the letter:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "one per line") {
		t.Errorf("the letter carries the form's hint:\n%s", out)
	}
}
