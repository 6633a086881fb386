package views

import (
	"math"
	"strconv"
)

// Chart is a bar chart drawn on the server as SVG, so it needs no script and prints: a labelled
// y axis with gridlines, category labels on the x axis (thinned so they never run together), a
// legend, a tooltip on every bar, and "—" where a category has nothing to show. The numbers stay
// in a table beside it for screen readers and copying.
type Chart struct {
	ID     string   // prefix of the element ids
	Label  string   // accessible name of the chart
	Labels []string // one per category (a week, a day)
	Series []Series
	// Max is the top of the y axis; 0 takes the data's largest value, rounded up.
	Max float64
	// Format writes a value for the axis and the tooltips; nil writes whole numbers.
	Format func(float64) string
	// Unit follows the axis's values ("%"); YTitle names the axis.
	Unit, YTitle string
}

// Series is one set of bars.
type Series struct {
	Name  string
	Color string     // the bars' fill and the legend swatch's (SVG attributes: no style sheet needed)
	Value []*float64 // one per category; nil: nothing there
}

// Val is a value for a Series.
func Val(v float64) *float64 { return &v }

const (
	chartRight, chartTop, chartBottom = 12.0, 12.0, 34.0
	chartPlotH                        = 180.0
	chartTicks                        = 4
	chartFont                         = 7.0 // average glyph width at 12 px, for spacing labels
)

type chartBar struct {
	X, Y, W, H float64
	Color, Tip string
	Missing    bool // draw "—" instead of a bar
}

type chartTick struct {
	Y     float64
	Label string
}

type chartXLabel struct {
	X     float64
	Label string
}

type chartLayout struct {
	W, H, Left, PlotBottom, PlotRight float64
	Bars                              []chartBar
	Ticks                             []chartTick
	XLabels                           []chartXLabel
}

func (c Chart) format(v float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten, so the axis ticks read well.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func (c Chart) layout() chartLayout {
	top := c.Max
	if top == 0 {
		for _, s := range c.Series {
			for _, v := range s.Value {
				if v != nil {
					top = math.Max(top, *v)
				}
			}
		}
		top = niceCeil(top)
		if c.Format == nil && math.Mod(top, chartTicks) != 0 {
			top = math.Ceil(top/chartTicks) * chartTicks // whole numbers on every tick
		}
	}
	n, k := len(c.Labels), max(len(c.Series), 1)
	barW := 14.0
	if k == 1 {
		barW = 12
	}
	slot := float64(k)*barW + 10
	widest := 0
	for _, l := range c.Labels {
		widest = max(widest, len([]rune(l)))
	}
	// Label every step-th category so that labels keep apart.
	step := max(1, int(math.Ceil((float64(widest)*chartFont+10)/slot)))
	l := chartLayout{PlotBottom: chartTop + chartPlotH}
	tickWidest := 0
	for i := 0; i <= chartTicks; i++ {
		v := top * float64(i) / chartTicks
		t := chartTick{Y: l.PlotBottom - chartPlotH*float64(i)/chartTicks, Label: c.format(v) + c.Unit}
		tickWidest = max(tickWidest, len([]rune(t.Label)))
		l.Ticks = append(l.Ticks, t)
	}
	// Room for the widest tick label, and the axis title turned along the axis.
	l.Left = float64(tickWidest)*chartFont + 30
	l.PlotRight = l.Left + float64(n)*slot
	l.W, l.H = l.PlotRight+chartRight, l.PlotBottom+chartBottom
	for i, label := range c.Labels {
		x0 := l.Left + float64(i)*slot + 5
		if i%step == 0 {
			l.XLabels = append(l.XLabels, chartXLabel{X: x0 + float64(k)*barW/2, Label: label})
		}
		for j, s := range c.Series {
			b := chartBar{X: x0 + float64(j)*barW, W: barW - 2, Color: s.Color}
			var v *float64
			if i < len(s.Value) {
				v = s.Value[i]
			}
			if v == nil {
				b.Missing, b.Y, b.Tip = true, l.PlotBottom-3, label+" · "+s.Name+": —"
			} else {
				b.H = math.Max(0, math.Min(*v/top, 1)) * chartPlotH
				b.Y = l.PlotBottom - b.H
				b.Tip = label + " · " + s.Name + ": " + c.format(*v) + c.Unit
			}
			l.Bars = append(l.Bars, b)
		}
	}
	return l
}

func chartNum(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
