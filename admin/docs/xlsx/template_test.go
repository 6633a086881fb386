package xlsx_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	cols := []xlsx.TemplateColumn{
		{Header: importHeader[0], Description: "Ваш номер замовлення; повторне завантаження не створює дублікатів.", Example: "SHOP-1001", Required: true},
		{Header: importHeader[1], Description: "Прізвище та ім'я.", Example: "Олена Коваленко", Required: true},
		{Header: importHeader[2], Description: "У грамах, ціле число.", Example: 1250, Required: true, Kind: xlsx.Int},
		{Header: importHeader[3], Description: "У гривнях, дві цифри після коми.", Example: int64(123450), Kind: xlsx.Money},
		{Header: importHeader[4], Description: "Дата й час за київським часом.", Example: time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), Kind: xlsx.DateTime},
	}
	var buf bytes.Buffer
	require.NoError(t, xlsx.WriteTemplate(&buf, "Замовлення", xlsx.HelpLabels{
		Sheet: "Довідка", Column: "Стовпець", Required: "Обов'язковий", Description: "Опис", Example: "Приклад",
		Yes: "так", No: "ні",
	}, cols))

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"Замовлення", "Довідка"}, f.GetSheetList())

	rows, err := f.GetRows("Замовлення", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, importHeader, rows[0])
	require.Equal(t, []string{"SHOP-1001", "Олена Коваленко", "1250", "1234.5"}, rows[1][:4])
	ct, err := f.GetCellType("Замовлення", "C2")
	require.NoError(t, err)
	require.NotEqual(t, excelize.CellTypeInlineString, ct, "the example weight is a number")

	// Text columns are text all the way down, so typed phone numbers keep their form.
	styleID, err := f.GetCellStyle("Замовлення", "A100")
	require.NoError(t, err)
	style, err := f.GetStyle(styleID)
	require.NoError(t, err)
	require.Equal(t, 49, style.NumFmt)

	help, err := f.GetRows("Довідка")
	require.NoError(t, err)
	require.Equal(t, []string{"Стовпець", "Обов'язковий", "Опис", "Приклад"}, help[0])
	require.Len(t, help, 1+len(cols))
	require.Equal(t, []string{importHeader[0], "так", cols[0].Description, "SHOP-1001"}, help[1])
	require.Equal(t, "ні", help[4][1])

	// The template passes the import's own checks.
	r, err := open(buf.Bytes(), xlsx.Limits{Header: importHeader})
	require.NoError(t, err)
	defer r.Close()
	require.True(t, r.Next())
	n, cells := r.Row()
	require.Equal(t, 2, n)
	require.Equal(t, "SHOP-1001", cells[0])
	require.False(t, r.Next())
	require.NoError(t, r.Err())
}
