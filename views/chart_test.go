package views

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The SLA board's and the finance overview's charts had week labels run together
// ("09-1409-2109-28…"), no axis and no legend, and a week with nothing decided showed 0 %. A
// chart now thins its category labels so they keep apart, labels its y axis, names its series,
// and marks a missing value "—" rather than drawing nothing or zero.
func TestBarChartReads(t *testing.T) {
	c := Chart{ID: "c", Label: "On time by week", Max: 100, Unit: "%", YTitle: "%",
		Series: []Series{{Name: "Decided on time", Color: "#2e7d32"}, {Name: "Notices on time", Color: "#8e24aa"}}}
	for i := range 31 {
		c.Labels = append(c.Labels, fmt.Sprintf("%02d.09", i+1))
		var v *float64
		if i%5 != 0 {
			v = Val(float64(i * 3))
		}
		c.Series[0].Value = append(c.Series[0].Value, v)
		c.Series[1].Value = append(c.Series[1].Value, Val(50))
	}
	var b strings.Builder
	if err := BarChart(c).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()

	// Category labels: each its own text element, centres far enough apart for five characters.
	labels := regexp.MustCompile(`<text x="([0-9.]+)" y="[0-9.]+" text-anchor="middle" font-size="12" fill="#4a5260">(\d\d\.09)</text>`).FindAllStringSubmatch(html, -1)
	if len(labels) < 5 {
		t.Fatalf("%d category labels", len(labels))
	}
	prev := -1000.0
	for _, m := range labels {
		x, _ := strconv.ParseFloat(m[1], 64)
		if x-prev < 5*chartFont+6 {
			t.Fatalf("label %s at %.1f overlaps the one at %.1f", m[2], x, prev)
		}
		prev = x
	}
	for _, tick := range []string{">0%<", ">25%<", ">50%<", ">100%<"} {
		if !strings.Contains(html, tick) {
			t.Errorf("no axis tick %s", tick)
		}
	}
	if !strings.Contains(html, "Decided on time") || !strings.Contains(html, "Notices on time") {
		t.Error("no legend")
	}
	if got := strings.Count(html, ">—</text>"); got != 7 {
		t.Errorf("%d missing values marked, want 7", got)
	}
	if !strings.Contains(html, "<title>01.09 · Decided on time: —</title>") || !strings.Contains(html, "<title>02.09 · Decided on time: 3%</title>") {
		t.Error("bars carry no tooltip with their value")
	}
	if strings.Contains(html, "<title>01.09 · Decided on time: 0%") {
		t.Error("a missing value drawn as zero")
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 3: 5, 7: 10, 12: 20, 23: 25, 180: 200, 2600: 5000, 51658504: 1e8} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}
