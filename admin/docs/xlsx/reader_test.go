package xlsx_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

var importHeader = []string{"Зовнішній номер", "Одержувач", "Вага, г", "Оголошена вартість", "Доставити до"}

func importColumns() []xlsx.Column {
	return []xlsx.Column{
		{Title: importHeader[0]}, {Title: importHeader[1]}, {Title: importHeader[2], Kind: xlsx.Int},
		{Title: importHeader[3], Kind: xlsx.Money}, {Title: importHeader[4], Kind: xlsx.DateTime},
	}
}

func open(file []byte, limits xlsx.Limits) (*xlsx.Reader, error) {
	return xlsx.Open(bytes.NewReader(file), int64(len(file)), limits)
}

func TestReadBack(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	file := export(t, importColumns(),
		[]any{"EXT-1", "Олена Коваленко", 1250, int64(123450), due},
		[]any{"EXT-2", "=cmd|' /C calc'!A0", 300, int64(5), nil},
	)

	r, err := open(file, xlsx.Limits{Header: importHeader})
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, importHeader, r.Header())

	var nums []int
	var rows [][]string
	for r.Next() {
		n, cells := r.Row()
		nums = append(nums, n)
		rows = append(rows, cells)
	}
	require.NoError(t, r.Err())
	require.Equal(t, []int{2, 3}, nums)
	require.Equal(t, []string{"EXT-1", "Олена Коваленко", "1250", "1234.5"}, rows[0][:4])
	require.Equal(t, []string{"EXT-2", "=cmd|' /C calc'!A0", "300", "0.05", ""}, rows[1], "short rows padded")

	amount, err := xlsx.ParseMinor(rows[0][3])
	require.NoError(t, err)
	require.Equal(t, int64(123450), amount)
	got, err := xlsx.ParseTime(rows[0][4], time.UTC)
	require.NoError(t, err)
	require.Equal(t, due, got)
}

func TestReaderSkipsBlankRowsAndKeepsSheetRowNumbers(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"A", "B"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"x", 1}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A3", &[]any{"  ", ""}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A5", &[]any{nil, "only B"}))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))

	r, err := open(buf.Bytes(), xlsx.Limits{Header: []string{"A", "B"}})
	require.NoError(t, err)
	defer r.Close()
	var got []int
	for r.Next() {
		n, cells := r.Row()
		got = append(got, n)
		require.Len(t, cells, 2)
	}
	require.NoError(t, r.Err())
	require.Equal(t, []int{2, 5}, got)
}

func TestOpenRefusesNonWorkbooks(t *testing.T) {
	t.Parallel()
	text := []byte("order,recipient\n1,Олена\n") // a CSV renamed to .xlsx
	_, err := open(text, xlsx.Limits{})
	require.ErrorIs(t, err, xlsx.ErrNotXLSX)

	// A zip, but not a spreadsheet (a .docx, say).
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("[Content_Types].xml")
	require.NoError(t, err)
	_, err = io.WriteString(w, `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	_, err = open(buf.Bytes(), xlsx.Limits{})
	require.ErrorIs(t, err, xlsx.ErrNotXLSX)

	// A truncated workbook.
	file := export(t, importColumns())
	_, err = open(file[:len(file)/2], xlsx.Limits{})
	require.ErrorIs(t, err, xlsx.ErrNotXLSX)
}

func TestOpenRefusesLargeFile(t *testing.T) {
	t.Parallel()
	file := export(t, importColumns())
	_, err := open(file, xlsx.Limits{MaxBytes: 1000})
	require.ErrorIs(t, err, xlsx.ErrTooLarge)
	var le *xlsx.LimitError
	require.ErrorAs(t, err, &le)
	require.Equal(t, int64(1000), le.Limit)
	require.Equal(t, int64(len(file)), le.Got)
}

// withEntry copies a workbook, leaving out the entry named skip, and adds one more entry: how a
// zip bomb hides in an innocent file.
func withEntry(t *testing.T, file []byte, skip string, add func(zw *zip.Writer)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, f := range zr.File {
		if f.Name != skip {
			require.NoError(t, zw.Copy(f))
		}
	}
	add(zw)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestOpenRefusesZipBombs(t *testing.T) {
	t.Parallel()
	file := export(t, importColumns(), []any{"EXT-1", "Олена", 1, int64(1), nil})
	zeros := make([]byte, 64<<20)

	// 64 MB of zeros squeezed into some 64 KB: a ratio no spreadsheet part has.
	bomb := withEntry(t, file, "", func(zw *zip.Writer) {
		w, err := zw.Create("xl/media/image1.png")
		require.NoError(t, err)
		_, err = w.Write(zeros)
		require.NoError(t, err)
	})
	require.Less(t, len(bomb), 1<<20)
	_, err := open(bomb, xlsx.Limits{})
	require.ErrorIs(t, err, xlsx.ErrZipBomb)

	// The same file against a lower total: refused for its unpacked size.
	_, err = open(bomb, xlsx.Limits{MaxUnpackedBytes: 32 << 20, MaxRatio: 1 << 30})
	require.ErrorIs(t, err, xlsx.ErrZipBomb)
	var le *xlsx.LimitError
	require.ErrorAs(t, err, &le)
	require.Equal(t, int64(32<<20), le.Limit)

}

// A worksheet whose zip header declares 100 bytes but which inflates to 64 MB passes the header
// checks; archive/zip then stops inflating at the declared size and the file is refused, without
// the 64 MB ever being held. Not parallel, so that the allocation count is its own.
func TestOpenRefusesLyingZipHeader(t *testing.T) {
	file := export(t, importColumns(), []any{"EXT-1", "Олена", 1, int64(1), nil})
	zeros := make([]byte, 64<<20)
	var compressed bytes.Buffer
	fw, err := flate.NewWriter(&compressed, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(zeros)
	require.NoError(t, err)
	require.NoError(t, fw.Close())
	const sheet = "xl/worksheets/sheet1.xml"
	liar := withEntry(t, file, sheet, func(zw *zip.Writer) {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: sheet, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros[:100]),
			CompressedSize64: uint64(compressed.Len()), UncompressedSize64: 100,
		})
		require.NoError(t, err)
		_, err = w.Write(compressed.Bytes())
		require.NoError(t, err)
	})

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = open(liar, xlsx.Limits{Header: importHeader})
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, xlsx.ErrZipBomb)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated while refusing")
}

func TestOpenRefusesTooManyRows(t *testing.T) {
	t.Parallel()
	var rows [][]any
	for range 11 {
		rows = append(rows, []any{"EXT", "Олена", 1, int64(1), nil})
	}
	file := export(t, importColumns(), rows...)

	_, err := open(file, xlsx.Limits{MaxRows: 10, Header: importHeader})
	require.ErrorIs(t, err, xlsx.ErrTooManyRows)
	var le *xlsx.LimitError
	require.ErrorAs(t, err, &le)
	require.Equal(t, int64(10), le.Limit)

	r, err := open(file, xlsx.Limits{MaxRows: 11, Header: importHeader})
	require.NoError(t, err)
	require.NoError(t, r.Close())
}

func TestOpenRefusesWrongHeader(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		header []string
		want   xlsx.HeaderError
	}{
		{"renamed", []string{"Зовнішній номер", "Отримувач", "Вага, г", "Оголошена вартість", "Доставити до"},
			xlsx.HeaderError{Column: 2, Letter: "B", Want: "Одержувач", Got: "Отримувач"}},
		{"missing", importHeader[:4],
			xlsx.HeaderError{Column: 5, Letter: "E", Want: "Доставити до"}},
		{"extra", append(append([]string{}, importHeader...), "Примітка"),
			xlsx.HeaderError{Column: 6, Letter: "F", Got: "Примітка"}},
		{"swapped", []string{"Одержувач", "Зовнішній номер", "Вага, г", "Оголошена вартість", "Доставити до"},
			xlsx.HeaderError{Column: 1, Letter: "A", Want: "Зовнішній номер", Got: "Одержувач"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := export(t, textColumns(c.header...))
			_, err := open(file, xlsx.Limits{Header: importHeader})
			require.ErrorIs(t, err, xlsx.ErrWrongHeader)
			var he *xlsx.HeaderError
			require.ErrorAs(t, err, &he)
			require.Equal(t, c.want, *he)
		})
	}

	// Stray spaces around a header are forgiven.
	padded := append([]string{" Зовнішній номер "}, importHeader[1:]...)
	r, err := open(export(t, textColumns(padded...)), xlsx.Limits{Header: importHeader})
	require.NoError(t, err)
	require.NoError(t, r.Close())
}

func TestParseMinor(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"1234.5": 123450, "1234.5599999999999": 123456, "1 234,50": 123450, "1\u00a0234.5": 123450,
		"-0.05": -5, "7": 700, "\u22120.05": -5, "-1234.5600000000002": -123456,
	} {
		got, err := xlsx.ParseMinor(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	// A minus is never dropped ("1.-5" was not an amount before either; money.Parse now says so), and
	// apostrophe grouping is not a plain number.
	for _, in := range []string{"", "abc", "0.285", "1,234.50", "1e5", "NaN", "1.2.3", "1.-5", "1'000.10", "+5", "0.2850000000001"} {
		_, err := xlsx.ParseMinor(in)
		require.Error(t, err, in)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	want := time.Date(2026, 11, 22, 10, 15, 0, 0, kyiv)
	for _, in := range []string{"46348.427083333336", "22.11.2026 10:15", "2026-11-22 10:15", "2026-11-22T08:15:00Z"} {
		got, err := xlsx.ParseTime(in, kyiv)
		require.NoError(t, err, in)
		require.True(t, want.Equal(got), "%s: %s", in, got)
	}
	day, err := xlsx.ParseTime("46348", kyiv)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 22, 0, 0, 0, 0, kyiv), day)
	for _, in := range []string{"", "завтра", "-1", "31.02.2026"} {
		_, err := xlsx.ParseTime(in, kyiv)
		require.Error(t, err, in)
	}
}

// Excel keeps rich text as runs and Japanese readings as phonetic runs, and escapes characters
// XML cannot carry as _xHHHH_; a cell shows the runs joined, without the readings.
func TestReaderSharedStringForms(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, writeExcelStyleWorkbook(&buf, []string{"Коментар"}, 3, func(r, c int) (string, bool) {
		return "placeholder", false
	}))
	const sst = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">` +
		`<si><t>Коментар</t></si>` +
		`<si><t xml:space="preserve"> Олена &amp; Ко </t></si>` +
		`<si><r><t xml:space="preserve">Не </t></r><r><rPr><b/></rPr><t>кантувати</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si>` +
		`<si><t>рядок_x000D_ще _x005F_x0041_</t></si>` +
		`</sst>`
	file := withEntry(t, buf.Bytes(), "xl/sharedStrings.xml", func(zw *zip.Writer) {
		w, err := zw.Create("xl/sharedStrings.xml")
		require.NoError(t, err)
		_, err = io.WriteString(w, sst)
		require.NoError(t, err)
	})

	r, err := open(file, xlsx.Limits{Header: []string{"Коментар"}})
	require.NoError(t, err)
	defer r.Close()
	var got []string
	for r.Next() {
		_, cells := r.Row()
		got = append(got, cells[0])
	}
	require.NoError(t, r.Err())
	require.Equal(t, []string{" Олена & Ко ", "Не кантувати", "рядок\rще _x0041_"}, got)
}
