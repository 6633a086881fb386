package xlsx

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

const (
	spreadsheetMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	maxColumns      = 16384 // XFD, Excel's last column
	xmlPartLimit    = 1 << 20
)

// workbook is where the parts the reader needs live in the zip.
type workbook struct {
	sheet         *zip.File
	sharedStrings *zip.File // nil when the workbook has no strings
}

// locate follows the package's relationships from [Content_Types].xml to the sheet: the content
// types say the file is a workbook, _rels/.rels where the workbook part is, and the workbook's
// relationships where its sheets and shared strings are.
func locate(zr *zip.Reader, sheetName string) (workbook, error) {
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[f.Name] = f
	}

	var types struct {
		Overrides []struct {
			PartName    string `xml:",attr"`
			ContentType string `xml:",attr"`
		} `xml:"Override"`
	}
	if err := decodePart(files["[Content_Types].xml"], &types); err != nil {
		return workbook{}, err
	}
	bookPath := ""
	for _, o := range types.Overrides {
		if o.ContentType == spreadsheetMain {
			bookPath = strings.TrimPrefix(o.PartName, "/")
		}
	}
	if bookPath == "" {
		// A .docx, .xlsm or .xltx is a zip too, but not a workbook this reader accepts.
		return workbook{}, ErrNotXLSX
	}

	var book struct {
		Sheets []struct {
			Name string     `xml:"name,attr"`
			Attr []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(files[bookPath], &book); err != nil {
		return workbook{}, err
	}
	rels, err := relationships(files, bookPath)
	if err != nil {
		return workbook{}, err
	}

	var wb workbook
	for _, s := range book.Sheets {
		if sheetName != "" && s.Name != sheetName {
			continue
		}
		for _, a := range s.Attr {
			if a.Name.Local == "id" && a.Name.Space != "" { // r:id
				wb.sheet = files[rels[a.Value].target]
			}
		}
		break
	}
	if wb.sheet == nil {
		return workbook{}, fmt.Errorf("%w: no sheet %q", ErrNotXLSX, sheetName)
	}
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/sharedStrings") {
			wb.sharedStrings = files[r.target]
		}
	}
	return wb, nil
}

type relationship struct{ target, typ string }

// relationships reads the relationships of part, targets resolved to zip entry names.
func relationships(files map[string]*zip.File, part string) (map[string]relationship, error) {
	dir, base := path.Split(part)
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
			Type   string `xml:"Type,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(files[dir+"_rels/"+base+".rels"], &rels); err != nil {
		return nil, err
	}
	out := make(map[string]relationship, len(rels.Rels))
	for _, r := range rels.Rels {
		target := path.Join(dir, r.Target)
		if strings.HasPrefix(r.Target, "/") {
			target = strings.TrimPrefix(r.Target, "/")
		}
		out[r.ID] = relationship{target: target, typ: r.Type}
	}
	return out, nil
}

// decodePart unmarshals a small XML part; a missing or oversized one means the file is no workbook.
func decodePart(f *zip.File, v any) error {
	if f == nil {
		return ErrNotXLSX
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, xmlPartLimit)).Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNotXLSX, f.Name, err)
	}
	return nil
}

// countRows counts <row> elements (with any namespace prefix) by scanning bytes, far cheaper than
// tokenising. It can only overcount (a "<row " inside CDATA), never undercount.
func countRows(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	var name [16]byte
	for {
		if _, err := br.ReadSlice('<'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		l := 0
		for l < len(name) {
			c, err := br.ReadByte()
			if err != nil || c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			if c == '<' { // not well-formed, but let the next round see the tag it opens
				_ = br.UnreadByte()
				break
			}
			name[l] = c
			l++
		}
		tag := name[:l]
		if i := bytes.LastIndexByte(tag, ':'); i >= 0 {
			tag = tag[i+1:]
		}
		if string(tag) == "row" {
			n++
		}
	}
}

// readSharedStrings loads the shared strings table: one string per <si>, its <t> texts joined and
// phonetic guides (<rPh>) left out, as Excel displays it.
func readSharedStrings(f *zip.File) ([]string, error) {
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))
	var (
		sst               []string
		text              []byte
		inSI, inT, inPhon bool
	)
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: shared strings: %v", ErrNotXLSX, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, text = true, text[:0]
			case "t":
				inT = inSI && !inPhon
			case "rPh":
				inPhon = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				sst = append(sst, unescapeOOXML(string(text)))
				inSI = false
			case "t":
				inT = false
			case "rPh":
				inPhon = false
			}
		case xml.CharData:
			if inT {
				text = append(text, t...)
			}
		}
	}
	return sst, nil
}

// sheetReader walks a worksheet's <sheetData> row by row.
type sheetReader struct {
	dec     *xml.Decoder
	sst     []string
	lastRow int
	text    []byte // the current cell's <v> or inline <t> text
	// formulas marks the cells of the row last returned that hold a formula (nil when none do).
	formulas []bool
}

func newSheetReader(r io.Reader, sst []string) *sheetReader {
	return &sheetReader{dec: xml.NewDecoder(bufio.NewReaderSize(r, 64<<10)), sst: sst}
}

// next returns the next row element's number and its first width cells (always width of them),
// or io.EOF after the last row.
func (s *sheetReader) next(width int) (int, []string, error) {
	var (
		cells          []string
		row, col       int
		typ            string
		inRow          bool
		inV, inT, inIS bool
		inPhon         bool
		inF            bool // the current cell has an <f> (a formula, its own or shared)
	)
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) && inRow {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow, col = true, 0
				row = s.lastRow + 1
				if r := attr(t, "r"); r != "" {
					if row, err = strconv.Atoi(r); err != nil || row < 1 {
						return 0, nil, fmt.Errorf("bad row number %q", r)
					}
				}
				cells = make([]string, width)
				s.formulas = nil
			case "c":
				col++
				if ref := attr(t, "r"); ref != "" {
					if col = columnOf(ref); col == 0 {
						return 0, nil, fmt.Errorf("bad cell reference %q", ref)
					}
				}
				typ, s.text, inF = attr(t, "t"), s.text[:0], false
			case "f":
				inF = true
			case "v":
				inV = true
			case "is":
				inIS = true
			case "t":
				inT = inIS && !inPhon
			case "rPh":
				inPhon = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "t":
				inT = false
			case "is":
				inIS = false
			case "rPh":
				inPhon = false
			case "c":
				if !inRow || col > width {
					continue
				}
				v, err := s.value(typ)
				if err != nil {
					return 0, nil, fmt.Errorf("cell %s%d: %w", columnName(col), row, err)
				}
				cells[col-1] = v
				if inF {
					if s.formulas == nil {
						s.formulas = make([]bool, width)
					}
					s.formulas[col-1] = true
				}
			case "row":
				s.lastRow = row
				return row, cells, nil
			case "sheetData":
				return 0, nil, io.EOF
			}
		case xml.CharData:
			if inV || inT {
				s.text = append(s.text, t...)
			}
		}
	}
}

// value is the current cell's raw value by its type attribute.
func (s *sheetReader) value(typ string) (string, error) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(string(s.text)))
		if err != nil || i < 0 || i >= len(s.sst) {
			return "", fmt.Errorf("no shared string %q", s.text)
		}
		return s.sst[i], nil
	case "inlineStr", "str":
		return unescapeOOXML(string(s.text)), nil
	}
	// Numbers, booleans ("1"/"0"), ISO dates ("d") and errors ("#N/A") as written.
	return string(s.text), nil
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// columnOf returns the 1-based column of a cell reference such as "AB12", 0 if it has none.
func columnOf(ref string) int {
	col := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > maxColumns {
			return 0
		}
	}
	return col
}

func columnName(col int) string {
	name := ""
	for ; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name
}

// unescapeOOXML decodes the _xHHHH_ escapes OOXML uses for characters XML cannot hold
// ("_x000D_" is a carriage return; "_x005F_" escapes a literal underscore).
func unescapeOOXML(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if r, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(r))
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
