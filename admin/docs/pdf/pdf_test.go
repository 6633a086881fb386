package pdfdoc_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/stretchr/testify/require"

	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
	"github.com/postdesk/postdesk/admin/money"
)

var ukLabels = pdfdoc.Labels{
	Waybill:            "Накладна",
	Order:              "Замовлення",
	Sender:             "Відправник",
	Recipient:          "Одержувач",
	Phone:              "Тел.",
	Item:               "Вміст",
	Weight:             "Вага",
	DeclaredValue:      "Оголошена вартість",
	Cost:               "Вартість доставки",
	Created:            "Створено",
	ExpectedDelivery:   "Очікувана доставка",
	Comment:            "Коментар",
	SenderSignature:    "Підпис відправника",
	RecipientSignature: "Підпис одержувача",
	Kg:                 "кг",
	HandoverAct:        "Акт приймання-передачі відправлень",
	Courier:            "Кур'єр",
	Date:               "Дата",
	Waybills:           "Накладна",
	Address:            "Адреса",
	RowNo:              "№",
	Total:              "Разом",
	HandedOver:         "Передав",
	Received:           "Прийняв",
	Signature:          "підпис",
	PageOf:             "Сторінка {page} з {pages}",
}

func kyiv(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	return loc
}

func sampleWaybill(t testing.TB, n int) pdfdoc.Waybill {
	senders := []string{"Олена Коваленко", "Дмитрий Щукин", "Ґанна Їжакевич"}
	recipients := []string{"Әлия Нұрланқызы", "Ғалым Өмірұлы", "Jane O'Neill"}
	created := time.Date(2026, 11, 22, 8, 15, 0, 0, time.UTC)
	return pdfdoc.Waybill{
		Number:      fmt.Sprintf("PD26112%05d", n),
		OrderNumber: fmt.Sprintf("ORD-%06d", n),
		Sender: pdfdoc.Party{
			Name: senders[n%len(senders)], Phone: "+380 50 123 45 67",
			Address: "м. Київ, вул. Хрещатик, 22, кв. 5",
		},
		Recipient: pdfdoc.Party{
			Name: recipients[n%len(recipients)], Phone: "+7 701 765 43 21",
			Address: "Алматы, Әуезов ауданы, Жандосов көшесі, 98, пәтер 12 (қабат 4, домофон 12К)",
		},
		Item:          "Книги, 3 шт. — «Абай жолы» та «Кобзар»",
		WeightGrams:   1250 + int64(n),
		DeclaredValue: 123450,
		Cost:          15000,
		Currency:      "UAH",
		CreatedAt:     created,
		ExpectedAt:    created.Add(34 * time.Hour),
		Location:      kyiv(t),
		Comment:       "Телефонуйте за годину 🙂; не залишати біля дверей. Қоңырау шалыңыз.",
	}
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: make test installs poppler-utils (apt-get install poppler-utils)", tool)
		}
	}
}

// pdfText extracts the text of a PDF the way a user's viewer or a search index would.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

// asExtracted is s as pdftotext prints it: the no-break spaces grouping digits become spaces.
func asExtracted(s string) string { return strings.ReplaceAll(s, "\u00a0", " ") }

// renderPage renders one page at 200 dpi, as a scan of the printout would look.
func renderPage(t *testing.T, pdf []byte, page int) image.Image {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "doc.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	p := fmt.Sprint(page)
	out, err := exec.Command("pdftoppm", "-r", "200", "-png", "-f", p, "-l", p, "-singlefile",
		path, filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, string(out))
	f, err := os.Open(filepath.Join(dir, "page.png"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

func decodeCode128(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER: true,
	})
	require.NoError(t, err)
	return res.GetText()
}

func TestWaybillTextAndBarcode(t *testing.T) {
	t.Parallel()
	need(t, "pdftotext", "pdftoppm")
	ws := []pdfdoc.Waybill{sampleWaybill(t, 0), sampleWaybill(t, 1)}
	ws[0].Number = "PD2611220001"

	var buf bytes.Buffer
	require.NoError(t, pdfdoc.WriteWaybills(&buf, ukLabels, ws, 1))

	text := pdfText(t, buf.Bytes())
	for _, want := range []string{
		"PD2611220001", ws[1].Number, "Дмитрий Щукин", "Олена Коваленко", "Әлия Нұрланқызы", "Ғалым Өмірұлы",
		"Замовлення ORD-000000", "Накладна", "1.25 кг", asExtracted(money.Format(123450, "UAH", "uk")),
		"22.11.2026 10:15", // created, printed in Kyiv time
		"23.11.2026 20:15", // expected delivery
		"Қоңырау",
	} {
		require.Contains(t, text, want)
	}
	require.Equal(t, 2, strings.Count(text, "\f"), "one page per waybill")

	require.Equal(t, "PD2611220001", decodeCode128(t, renderPage(t, buf.Bytes(), 1)))
	require.Equal(t, ws[1].Number, decodeCode128(t, renderPage(t, buf.Bytes(), 2)))
}

func TestWaybillsFourPerSheet(t *testing.T) {
	t.Parallel()
	need(t, "pdftotext", "pdftoppm")
	var ws []pdfdoc.Waybill
	for i := range 6 {
		ws = append(ws, sampleWaybill(t, i))
	}

	var buf bytes.Buffer
	require.NoError(t, pdfdoc.WriteWaybills(&buf, ukLabels, ws, 4))

	text := pdfText(t, buf.Bytes())
	require.Equal(t, 2, strings.Count(text, "\f"), "six waybills on two sheets")
	for _, wb := range ws {
		require.Contains(t, text, wb.Number)
	}

	// Each A6 quarter is cut apart and scanned on its own.
	img := renderPage(t, buf.Bytes(), 1)
	b := img.Bounds()
	halfW, halfH := b.Dx()/2, b.Dy()/2
	for i, wb := range ws[:4] {
		x, y := (i%2)*halfW, (i/2)*halfH
		quarter := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(x, y, x+halfW, y+halfH))
		require.Equal(t, wb.Number, decodeCode128(t, quarter), "quarter %d", i+1)
	}
}

func TestWaybillsTwoPerSheet(t *testing.T) {
	t.Parallel()
	need(t, "pdftotext")
	ws := []pdfdoc.Waybill{sampleWaybill(t, 1), sampleWaybill(t, 2), sampleWaybill(t, 3)}
	var buf bytes.Buffer
	require.NoError(t, pdfdoc.WriteWaybills(&buf, ukLabels, ws, 2))
	text := pdfText(t, buf.Bytes())
	require.Equal(t, 2, strings.Count(text, "\f"))
	require.Contains(t, text, ws[2].Number)
}

func TestWaybillsRefuseBadInput(t *testing.T) {
	t.Parallel()
	wb := sampleWaybill(t, 1)
	require.ErrorContains(t, pdfdoc.WriteWaybills(&bytes.Buffer{}, ukLabels, []pdfdoc.Waybill{wb}, 3), "per sheet")
	require.Error(t, pdfdoc.WriteWaybills(&bytes.Buffer{}, ukLabels, nil, 1))
	wb.Number = "НАКЛ-1" // Code 128 carries ASCII only
	require.ErrorContains(t, pdfdoc.WriteWaybills(&bytes.Buffer{}, ukLabels, []pdfdoc.Waybill{wb}, 1), "barcode")
}

func TestHandoverAct(t *testing.T) {
	t.Parallel()
	need(t, "pdftotext")
	act := pdfdoc.HandoverAct{
		Number:       "HA-2611-07",
		Date:         time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC), // already 23.11 in Kyiv
		Location:     kyiv(t),
		CourierName:  "Нұрсұлтан Әбілқайыров",
		CourierPhone: "+7 701 000 11 22",
		Currency:     "KZT",
	}
	for i := range 120 { // enough for three pages
		act.Rows = append(act.Rows, pdfdoc.ActRow{
			OrderNumber:   fmt.Sprintf("ORD-%06d", i+1),
			WaybillNumber: fmt.Sprintf("PD26112%05d", i+1),
			Recipient:     "Ольга Шевченко",
			Address:       "Алматы, Абай даңғылы, 150/230, пәтер " + fmt.Sprint(i+1),
			WeightGrams:   500 + int64(i)*10,
			DeclaredValue: 100000 + int64(i)*1000,
			Cost:          99950,
		})
	}

	var buf bytes.Buffer
	require.NoError(t, pdfdoc.WriteHandoverAct(&buf, ukLabels, act))
	text := pdfText(t, buf.Bytes())

	tot := act.Totals()
	require.Equal(t, 120, tot.Count)
	for _, want := range []string{
		"Акт приймання-передачі відправлень № HA-2611-07", "Нұрсұлтан Әбілқайыров", "Дата: 23.11.2026",
		"Разом: 120", asExtracted(money.Format(tot.DeclaredValue, "", "uk")), asExtracted(money.Format(tot.Cost, "", "uk")), "131.4",
		"Передав", "Прийняв",
	} {
		require.Contains(t, text, want)
	}
	for _, r := range act.Rows {
		require.Contains(t, text, r.OrderNumber)
	}
	pages := strings.Count(text, "\f")
	require.GreaterOrEqual(t, pages, 3)
	require.Contains(t, text, fmt.Sprintf("Сторінка %d з %d", pages, pages))
	// The table header is repeated on every page.
	require.Equal(t, pages, strings.Count(text, "Оголошена"))
}

// BenchmarkWaybills1000 is the figure: 1,000 waybills in one PDF within 5 s.
func BenchmarkWaybills1000(b *testing.B) {
	ws := make([]pdfdoc.Waybill, 1000)
	for i := range ws {
		ws[i] = sampleWaybill(b, i)
	}
	b.ReportAllocs()
	peak := samplePeakHeap()
	start := time.Now()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := pdfdoc.WriteWaybills(&buf, ukLabels, ws, 1); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/1000waybills")
	b.ReportMetric(float64(size)/(1<<20), "pdf-MB")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}

// samplePeakHeap samples HeapInuse every 10 ms until the returned function is called, which
// returns the largest figure seen.
func samplePeakHeap() func() uint64 {
	runtime.GC()
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		sample()
		return peak
	}
}
