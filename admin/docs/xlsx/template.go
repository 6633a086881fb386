package xlsx

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// TemplateColumn is one column of an import template.
type TemplateColumn struct {
	Header      string
	Description string
	Example     any // a value of Kind, as WriteRow takes it
	Required    bool
	Kind        Kind
	Width       float64 // in characters; 0 picks one from the header
}

// HelpLabels are the captions of the help sheet, in the user's language. Empty ones fall back to
// English so that a missing translation shows as English rather than as a blank.
type HelpLabels struct {
	Sheet       string // "Help" / "Довідка"
	Column      string
	Required    string
	Description string
	Example     string
	Yes, No     string
}

func (h *HelpLabels) withDefaults() {
	for _, f := range []struct {
		s   *string
		def string
	}{
		{&h.Sheet, "Help"}, {&h.Column, "Column"}, {&h.Required, "Required"},
		{&h.Description, "Description"}, {&h.Example, "Example"}, {&h.Yes, "yes"}, {&h.No, "no"},
	} {
		if *f.s == "" {
			*f.s = f.def
		}
	}
}

// WriteTemplate writes an import template: sheet with the headers (required ones highlighted) and
// one example row, typed and formatted as the import expects, and a help sheet describing each
// column. Text columns are formatted as text, so a phone typed as 0501234567 keeps its zero and
// "+380..." is not taken for a formula.
//
// The example row is a data row, shown grey and italic: the caller marks it (a value its import
// recognises and skips) so that a template uploaded unchanged imports nothing.
func WriteTemplate(w io.Writer, sheet string, help HelpLabels, cols []TemplateColumn) error {
	help.withDefaults()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("xlsx: sheet name %q: %w", sheet, err)
	}
	if _, err := f.NewSheet(help.Sheet); err != nil {
		return fmt.Errorf("xlsx: sheet name %q: %w", help.Sheet, err)
	}

	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	required, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}},
	})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}

	for i, c := range cols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		format, err := f.NewStyle(styleOf(c.Kind, nil))
		if err != nil {
			return err
		}
		// The example row is grey and italic: it shows what to type and is not an order.
		exampleStyle, err := f.NewStyle(styleOf(c.Kind, &excelize.Font{Italic: true, Color: "808080"}))
		if err != nil {
			return err
		}
		width := c.Width
		if width == 0 {
			width = defaultWidth(Column{Title: c.Header, Kind: c.Kind})
		}
		headerStyle := bold
		if c.Required {
			headerStyle = required
		}
		example, err := cellValue(c.Kind, c.Example, nil)
		if err != nil {
			return fmt.Errorf("xlsx: example of %q: %w", c.Header, err)
		}
		for _, err := range []error{
			f.SetColStyle(sheet, col, format),
			f.SetColWidth(sheet, col, col, width),
			f.SetCellValue(sheet, col+"1", c.Header),
			f.SetCellStyle(sheet, col+"1", col+"1", headerStyle),
			f.SetCellValue(sheet, col+"2", example),
			f.SetCellStyle(sheet, col+"2", col+"2", exampleStyle),
		} {
			if err != nil {
				return fmt.Errorf("xlsx: template column %q: %w", c.Header, err)
			}
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	if err := writeHelp(f, help, cols, bold, wrap); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// styleOf is a new style with kind k's number format and font (nil: the default).
func styleOf(k Kind, font *excelize.Font) *excelize.Style {
	st := numStyle(k)
	if st == nil {
		st = &excelize.Style{}
	}
	st.Font = font
	return st
}

func writeHelp(f *excelize.File, help HelpLabels, cols []TemplateColumn, bold, wrap int) error {
	s := help.Sheet
	if err := f.SetSheetRow(s, "A1", &[]any{help.Column, help.Required, help.Description, help.Example}); err != nil {
		return err
	}
	for i, c := range cols {
		row := fmt.Sprint(i + 2)
		req := help.No
		if c.Required {
			req = help.Yes
		}
		example, err := cellValue(c.Kind, c.Example, nil)
		if err != nil {
			return err
		}
		st := styleOf(c.Kind, nil)
		st.Alignment = &excelize.Alignment{Vertical: "top"}
		format, err := f.NewStyle(st)
		if err != nil {
			return err
		}
		for _, err := range []error{
			f.SetSheetRow(s, "A"+row, &[]any{c.Header, req, c.Description, example}),
			f.SetCellStyle(s, "A"+row, "C"+row, wrap),
			f.SetCellStyle(s, "D"+row, "D"+row, format),
		} {
			if err != nil {
				return err
			}
		}
	}
	for _, err := range []error{
		f.SetCellStyle(s, "A1", "D1", bold),
		f.SetColWidth(s, "A", "A", 28),
		f.SetColWidth(s, "B", "B", 12),
		f.SetColWidth(s, "C", "C", 70),
		f.SetColWidth(s, "D", "D", 24),
		f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
