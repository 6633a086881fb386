package pdfdoc

import (
	"fmt"

	"github.com/boombuler/barcode/code128"
)

// QuietZone is the blank margin, in modules, a Code 128 symbol needs on each side to be scanned.
const QuietZone = 10

// code128Bars encodes code as Code 128 (boombuler picks the code sets, so digit runs are packed in
// set C) and returns the modules, true for a bar.
func code128Bars(code string) ([]bool, error) {
	bc, err := code128.Encode(code)
	if err != nil {
		return nil, fmt.Errorf("pdfdoc: barcode %q: %w", code, err)
	}
	n := bc.Bounds().Dx()
	bars := make([]bool, n)
	for i := range bars {
		r, _, _, _ := bc.At(i, 0).RGBA()
		bars[i] = r < 0x8000
	}
	return bars, nil
}

// drawBars draws the bars as vector rectangles rather than through gofpdf/contrib/barcode: that
// package keeps every barcode it ever made in a process-wide map (a leak in a long-running worker)
// and embeds them as lossy JPEG images, which blur the bar edges a scanner relies on.
func (d *Doc) drawBars(bars []bool, x, y, module, h float64) {
	d.SetFillColor(0, 0, 0)
	for i := 0; i < len(bars); {
		if !bars[i] {
			i++
			continue
		}
		j := i
		for j < len(bars) && bars[j] {
			j++
		}
		d.Rect(x+float64(i)*module, y, float64(j-i)*module, h, "F")
		i = j
	}
}
