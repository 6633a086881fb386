package xlsx_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

// The figures the orders desk promises (issue 3): export 1,000,000 rows × 15 columns in ≤ 30 s and
// ≤ 150 MB; import 100,000 rows in ≤ 20 s and ≤ 250 MB. Run with
//
//	go test ./admin/docs/xlsx/ -run '^$' -bench . -benchtime 1x
const (
	exportRows = 1_000_000
	importRows = 100_000
)

var exportColumns = []xlsx.Column{
	{Title: "Номер", Kind: xlsx.Text}, {Title: "Накладна", Kind: xlsx.Text}, {Title: "Статус", Kind: xlsx.Text},
	{Title: "Клієнт", Kind: xlsx.Text}, {Title: "Кур'єр", Kind: xlsx.Text}, {Title: "Відправник", Kind: xlsx.Text},
	{Title: "Одержувач", Kind: xlsx.Text}, {Title: "Телефон одержувача", Kind: xlsx.Text},
	{Title: "Адреса одержувача", Kind: xlsx.Text, Width: 40}, {Title: "Вміст", Kind: xlsx.Text},
	{Title: "Вага, г", Kind: xlsx.Int}, {Title: "Оголошена вартість", Kind: xlsx.Money},
	{Title: "Вартість", Kind: xlsx.Money}, {Title: "Створено", Kind: xlsx.DateTime},
	{Title: "Доставлено", Kind: xlsx.Date},
}

// sampleText gives a few hundred distinct values per column, as a real order list has.
func sampleText(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i*7919%100_000)
	}
	return out
}

func BenchmarkExport(b *testing.B) {
	clients := sampleText("ТОВ «Клієнт»", 500)
	couriers := sampleText("Кур'єр", 300)
	names := sampleText("Олена Коваленко", 997)
	addresses := sampleText("м. Київ, вул. Хрещатик, буд.", 991)
	statuses := []string{"created", "deal", "picked_up", "delivered", "cancelled"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dir := b.TempDir()

	var size int64
	mem := watchMemory()
	began := time.Now()
	for b.Loop() {
		path := filepath.Join(dir, "export.xlsx")
		out, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w, err := xlsx.NewWriter(out, "Замовлення", kyiv)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.SetColumns(exportColumns); err != nil {
			b.Fatal(err)
		}
		row := make([]any, len(exportColumns))
		for i := range exportRows {
			created := start.Add(time.Duration(i) * 30 * time.Second)
			row[0] = "ORD-" + strconv.Itoa(1_000_000+i)
			row[1] = "PD26" + strconv.Itoa(10_000_000+i)
			row[2] = statuses[i%len(statuses)]
			row[3] = clients[i%len(clients)]
			row[4] = couriers[i%len(couriers)]
			row[5] = names[i%len(names)]
			row[6] = names[(i*31)%len(names)]
			row[7] = "+380 50 " + strconv.Itoa(1_000_000+i%9_000_000)
			row[8] = addresses[i%len(addresses)]
			row[9] = "Книги"
			row[10] = int64(100 + i%30_000)
			row[11] = int64(i%5_000_000 + 100)
			row[12] = int64(4_500 + i%20_000)
			row[13] = created
			row[14] = created.Add(30 * time.Hour)
			if err := w.WriteRow(ctx, row...); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	elapsed := time.Since(began).Seconds() / float64(b.N)
	mem.report(b)
	b.ReportMetric(exportRows/elapsed, "rows/s")
	b.ReportMetric(elapsed, "s/1Mrows")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}

func BenchmarkRead100k(b *testing.B) {
	header := []string{
		"Зовнішній номер", "Відправник", "Телефон відправника", "Адреса відправника", "Одержувач",
		"Телефон одержувача", "Адреса одержувача", "Місто", "Вміст", "Вага, г", "Оголошена вартість",
		"Коментар", "Код клієнта", "Доставити до", "Послуга",
	}
	// Every text is unique per row, so the shared strings table is as large as it gets.
	cell := func(r, c int) (string, bool) {
		switch c {
		case 9:
			return strconv.Itoa(100 + r%30_000), true
		case 10:
			return strconv.Itoa(r%50_000) + ".5", true
		case 13:
			return strconv.Itoa(46_000 + r%365), true
		}
		return header[c] + " " + strconv.Itoa(r), false
	}
	path := filepath.Join(b.TempDir(), "import.xlsx")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeExcelStyleWorkbook(out, header, importRows, cell); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}

	mem := watchMemory()
	began := time.Now()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := xlsx.Open(f, fi.Size(), xlsx.Limits{Header: header})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for r.Next() {
			if _, cells := r.Row(); cells[0] == "" {
				b.Fatal("empty external reference")
			}
			n++
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
		if n != importRows {
			b.Fatalf("read %d rows, want %d", n, importRows)
		}
		_ = r.Close()
		_ = f.Close()
	}
	elapsed := time.Since(began).Seconds() / float64(b.N)
	mem.report(b)
	b.ReportMetric(importRows/elapsed, "rows/s")
	b.ReportMetric(elapsed, "s/100krows")
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
}
