package xlsx_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

// export writes rows with the package's Writer and returns the file.
func export(t testing.TB, cols []xlsx.Column, rows ...[]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, "Orders", nil)
	require.NoError(t, err)
	require.NoError(t, w.SetColumns(cols))
	for _, r := range rows {
		require.NoError(t, w.WriteRow(context.Background(), r...))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func textColumns(titles ...string) []xlsx.Column {
	cols := make([]xlsx.Column, len(titles))
	for i, t := range titles {
		cols[i] = xlsx.Column{Title: t}
	}
	return cols
}

// zipEntry reads one part of a workbook.
func zipEntry(t *testing.T, file []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	require.NoError(t, err)
	rc, err := zr.Open(name)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// writeExcelStyleWorkbook writes a minimal workbook the way Excel saves one: every string in the
// shared strings table (unlike StreamWriter's inline strings), numbers as plain values. It needs no
// excelize, so building a 100,000-row fixture costs little memory.
func writeExcelStyleWorkbook(out io.Writer, header []string, rows int, cell func(row, col int) (string, bool)) error {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	zw := zip.NewWriter(out)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook ` + ns + ` xmlns:r="` + rel + `"><sheets>` +
			`<sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rel + `/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return err
		}
	}

	var sst []string
	pw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(pw)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet %s><sheetData>`, ns)
	writeRow := func(r int, value func(col int) (string, bool)) {
		fmt.Fprintf(w, `<row r="%d">`, r)
		for c := range header {
			v, number := value(c)
			ref := string(rune('A'+c)) + strconv.Itoa(r)
			if number {
				fmt.Fprintf(w, `<c r="%s"><v>%s</v></c>`, ref, v)
				continue
			}
			fmt.Fprintf(w, `<c r="%s" t="s"><v>%d</v></c>`, ref, len(sst))
			sst = append(sst, v)
		}
		w.WriteString(`</row>`)
	}
	writeRow(1, func(c int) (string, bool) { return header[c], false })
	for r := 2; r <= rows+1; r++ {
		writeRow(r, func(c int) (string, bool) { return cell(r, c) })
	}
	w.WriteString(`</sheetData></worksheet>`)
	if err := w.Flush(); err != nil {
		return err
	}

	sw, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	w = bufio.NewWriter(sw)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst %s count="%d" uniqueCount="%d">`, ns, len(sst), len(sst))
	for _, s := range sst {
		w.WriteString(`<si><t xml:space="preserve">`)
		if err := xml.EscapeText(w, []byte(s)); err != nil {
			return err
		}
		w.WriteString(`</t></si>`)
	}
	w.WriteString(`</sst>`)
	if err := w.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// memWatch samples memory while a benchmark runs: the Go heap in use and the process's peak
// resident set (Linux), the figure an operator's dashboard would show.
type memWatch struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	peakHeap uint64
}

func watchMemory() *memWatch {
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets VmHWM, so the peak covers only what follows (Linux ≥ 4.0).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &memWatch{stop: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.peakHeap = max(m.peakHeap, ms.HeapInuse)
}

// report stops sampling and reports peak-heap-MB and, where the kernel tells it, peak-rss-MB.
func (m *memWatch) report(b *testing.B) {
	close(m.stop)
	m.wg.Wait()
	m.sample()
	b.ReportMetric(float64(m.peakHeap)/(1<<20), "peak-heap-MB")
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				b.ReportMetric(kb/1024, "peak-rss-MB")
			}
		}
	}
}
