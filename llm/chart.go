package llm

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Point is one sample of a history series.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// Chart is a series a tool result asks the loop to draw (ToolResult.Chart).
type Chart struct {
	Title  string  `json:"title"`
	Unit   string  `json:"unit,omitempty"`
	Points []Point `json:"points"`
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH               = 480, 200
	padL, padR, padTop, padBelow = 48, 12, 28, 28
)

// ChartSVG draws series as a small self-contained SVG line chart with a
// title, the value range on the left and the time range below. Points are
// drawn in time order; NaN and infinite values are skipped. With no drawable
// point the chart says "no data". The output has no scripts, no external
// references and escapes the title, so it is safe to inline in a web page.
func ChartSVG(title string, series []Point) string {
	pts := make([]Point, 0, len(series))
	for _, p := range series {
		if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
			pts = append(pts, p)
		}
	}
	slices.SortStableFunc(pts, func(a, b Point) int { return a.T.Compare(b.T) })

	title = xmlText(title)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="sans-serif" font-size="11">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="16" font-size="13" font-weight="bold">%s</text>`, padL, title)
	x0, x1 := float64(padL), float64(chartW-padR)
	y0, y1 := float64(chartH-padBelow), float64(padTop)
	fmt.Fprintf(&b, `<path d="M%g %gH%gM%g %gV%g" stroke="#888" fill="none"/>`, x0, y0, x1, x0, y0, y1)
	if len(pts) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle" fill="#888">no data</text></svg>`, (x0+x1)/2, (y0+y1)/2)
		return b.String()
	}

	lo, hi := pts[0].V, pts[0].V
	for _, p := range pts {
		lo, hi = min(lo, p.V), max(hi, p.V)
	}
	if hi == lo { // a flat line sits in the middle
		lo, hi = lo-1, hi+1
	}
	t0, t1 := pts[0].T, pts[len(pts)-1].T
	span := t1.Sub(t0)
	xOf := func(t time.Time) float64 {
		if span <= 0 {
			return (x0 + x1) / 2
		}
		return x0 + (x1-x0)*float64(t.Sub(t0))/float64(span)
	}
	yOf := func(v float64) float64 { return y0 - (y0-y1)*(v-lo)/(hi-lo) }

	b.WriteString(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="`)
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", xOf(p.T), yOf(p.V))
	}
	b.WriteString(`"/>`)
	if len(pts) == 1 {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#1f77b4"/>`, xOf(pts[0].T), yOf(pts[0].V))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%s</text>`, x0-4, y1+4, fmtValue(hi))
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%s</text>`, x0-4, y0, fmtValue(lo))
	layout := "15:04"
	if span > 24*time.Hour || t0.YearDay() != t1.YearDay() {
		layout = "Jan 2 15:04"
	}
	fmt.Fprintf(&b, `<text x="%g" y="%d">%s</text>`, x0, chartH-8, t0.Format(layout))
	fmt.Fprintf(&b, `<text x="%g" y="%d" text-anchor="end">%s</text>`, x1, chartH-8, t1.Format(layout))
	b.WriteString(`</svg>`)
	return b.String()
}

// xmlText drops what XML 1.0 cannot carry (invalid UTF-8, control
// characters) and escapes the rest.
func xmlText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF && (r < 0xD800 || r > 0xDFFF) {
			return r
		}
		return -1
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return html.EscapeString(s)
}

func fmtValue(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}
