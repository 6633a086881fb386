package admin_test

import (
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// chartReport is what the browser measures of a page's charts.
type chartReport struct {
	Charts   int      `json:"charts"`
	Sized    int      `json:"sized"`
	Labelled int      `json:"labelled"`
	Texts    []string `json:"texts"`
	Overlaps int      `json:"overlaps"`
}

const measureCharts = `(() => {
  const r = {charts: 0, sized: 0, labelled: 0, texts: [], overlaps: 0};
  for (const svg of document.querySelectorAll('svg.chart')) {
    r.charts++;
    const b = svg.getBoundingClientRect();
    if (b.width > 0 && b.height > 0) r.sized++;
    if (svg.getAttribute('role') === 'img' && svg.getAttribute('aria-label')) r.labelled++;
    const boxes = [];
    for (const t of svg.querySelectorAll(':scope > text')) {
      r.texts.push(t.textContent.trim());
      boxes.push(t.getBoundingClientRect());
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], c = boxes[j];
      if (a.width && c.width && a.left < c.right - 0.5 && c.left < a.right - 0.5 && a.top < c.bottom - 0.5 && c.top < a.bottom - 0.5) r.overlaps++;
    }
  }
  return r;
})()`

// Issue 14, item 2: the SLA board draws its charts in Chromium —
// a sized, labelled SVG with axis labels that do not run into each other — without a script error.
func TestBrowserChartsDraw(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	for _, c := range []struct{ email, path string }{
		{"lead@demo.postdesk", "/complaints/board"},
	} {
		t.Run(c.path, func(t *testing.T) {
			b := admintest.Browser(t)
			var errs []string
			chromedp.ListenTarget(b, func(ev any) {
				if e, ok := ev.(*runtime.EventExceptionThrown); ok {
					errs = append(errs, e.ExceptionDetails.Text)
				}
			})
			var r chartReport
			require.NoError(t, chromedp.Run(b, admintest.LogIn(base, c.email),
				chromedp.Navigate(base+c.path),
				chromedp.WaitVisible(`svg.chart`, chromedp.ByQuery),
				chromedp.Evaluate(measureCharts, &r),
			))
			require.Positive(t, r.Charts)
			require.Equal(t, r.Charts, r.Sized, "every chart has a size")
			require.Equal(t, r.Charts, r.Labelled, "every chart is an image with a label")
			require.GreaterOrEqual(t, len(r.Texts), 3, "axis labels: %v", r.Texts)
			require.Zero(t, r.Overlaps, "labels run together: %v", r.Texts)
			require.Empty(t, errs)
		})
	}
}
