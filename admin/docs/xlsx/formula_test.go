package xlsx_test

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

// The reader tells a formula cell from a typed value, whatever its cached result: with one
// (as Excel saves it), without one (as excelize writes it, which would otherwise read blank), and
// a shared formula's dependent cells.
func TestReaderTellsFormulaCells(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	s := f.GetSheetName(0)
	require.NoError(t, f.SetSheetRow(s, "A1", &[]any{"Ref", "Weight", "Name"}))
	require.NoError(t, f.SetSheetRow(s, "A2", &[]any{"R-1", 2, "typed"}))
	require.NoError(t, f.SetCellValue(s, "A3", "R-2"))
	require.NoError(t, f.SetCellFormula(s, "B3", "1+1"))
	require.NoError(t, f.SetCellFormula(s, "C3", `HYPERLINK("http://x","x")`))
	// A row of nothing but a formula with no cached value is still a row.
	require.NoError(t, f.SetCellFormula(s, "B4", "2*3"))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	file := buf.Bytes()
	// The cached result Excel would have left: put a <v> into C3 by hand.
	const sheet = "xl/worksheets/sheet1.xml"
	x := zipEntry(t, file, sheet)
	i := strings.Index(x, `<c r="C3"`)
	require.Positive(t, i, x)
	j := strings.Index(x[i:], "</c>")
	x = x[:i] + `<c r="C3" t="str"><f>HYPERLINK("http://x","x")</f><v>x</v></c>` + x[i+j+len("</c>"):]
	file = withEntry(t, file, sheet, func(zw *zip.Writer) {
		w, err := zw.Create(sheet)
		require.NoError(t, err)
		_, err = w.Write([]byte(x))
		require.NoError(t, err)
	})

	r, err := open(file, xlsx.Limits{})
	require.NoError(t, err)
	defer r.Close()
	type got struct {
		n        int
		cells    []string
		formulas []bool
	}
	var rows []got
	for r.Next() {
		n, cells := r.Row()
		g := got{n: n, cells: append([]string(nil), cells...)}
		for i := range cells {
			g.formulas = append(g.formulas, r.Formula(i))
		}
		rows = append(rows, g)
	}
	require.NoError(t, r.Err())
	require.Equal(t, []got{
		{2, []string{"R-1", "2", "typed"}, []bool{false, false, false}},
		{3, []string{"R-2", "", "x"}, []bool{false, true, true}},
		{4, []string{"", "", ""}, []bool{false, true, false}},
	}, rows)
}

// Milli columns are number cells with three decimals; AsText writes text into any column.
func TestWriterMilliAndAsText(t *testing.T) {
	t.Parallel()
	cols := []xlsx.Column{{Title: "Weight, kg", Kind: xlsx.Milli}, {Title: "Due", Kind: xlsx.DateTime}}
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, "S", nil)
	require.NoError(t, err)
	require.NoError(t, w.SetColumns(cols))
	require.NoError(t, w.WriteRow(context.Background(), int64(1250), xlsx.AsText("tomorrow")))
	require.NoError(t, w.WriteRow(context.Background(), 7, nil))
	require.NoError(t, w.Close())

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	shown, _ := f.GetCellValue("S", "A2")
	require.Equal(t, "1.250", shown)
	raw, _ := f.GetCellValue("S", "A2", excelize.Options{RawCellValue: true})
	require.Equal(t, "1.25", raw) // a number, shown with three decimals
	raw, _ = f.GetCellValue("S", "A3", excelize.Options{RawCellValue: true})
	require.Equal(t, "0.007", raw)
	due, _ := f.GetCellValue("S", "B2")
	require.Equal(t, "tomorrow", due)

	r, err := open(buf.Bytes(), xlsx.Limits{Header: []string{"Weight, kg", "Due"}})
	require.NoError(t, err)
	defer r.Close()
	require.True(t, r.Next())
	_, cells := r.Row()
	require.Equal(t, []string{"1.25", "tomorrow"}, cells)
}
