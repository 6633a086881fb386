package pdfdoc

import (
	"bytes"
	"sync"
	"testing"
)

// Documents are made at once by several River workers in one process: gofpdf writes into the font
// bytes while subsetting, so each document must have its own (the race detector caught shared ones).
func TestDocumentsMadeAtOnce(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := New()
			d.AddPage()
			d.SetFont(Family, "", 12)
			d.Cell(40, 10, "Накладна — waybill")
			var b bytes.Buffer
			if err := d.Output(&b); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
