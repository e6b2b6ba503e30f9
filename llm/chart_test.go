package llm_test

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/llm"
)

// wellFormed reports whether s parses as XML to the end.
func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestChartSVG(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		title    string
		pts      []llm.Point
		contains []string
		absent   []string
	}{
		{"series", "Bedroom temperature", []llm.Point{{T: t0, V: 18.5}, {T: t0.Add(time.Hour), V: 21}, {T: t0.Add(2 * time.Hour), V: 20}},
			[]string{"<polyline", "Bedroom temperature", ">21<", ">18.5<", ">06:00<", ">08:00<"}, []string{"no data"}},
		{"no points", "Empty", nil, []string{"no data"}, []string{"<polyline"}},
		{"only NaN and Inf", "Bad", []llm.Point{{T: t0, V: math.NaN()}, {T: t0, V: math.Inf(1)}}, []string{"no data"}, []string{"NaN", "Inf"}},
		{"one point", "One", []llm.Point{{T: t0, V: 5}}, []string{"<circle"}, nil},
		{"title is escaped", `<script>alert("x")</script> & co`, []llm.Point{{T: t0, V: 1}, {T: t0.Add(time.Minute), V: 2}},
			[]string{"&lt;script&gt;", "&amp; co"}, []string{"<script>"}},
		{"unsorted input is drawn in time order", "T", []llm.Point{{T: t0.Add(time.Hour), V: 2}, {T: t0, V: 1}},
			[]string{`points="48.0,172.0 468.0,28.0"`}, nil},
		{"days apart show dates", "D", []llm.Point{{T: t0, V: 1}, {T: t0.Add(72 * time.Hour), V: 2}}, []string{"Mar 3 06:00", "Mar 6 06:00"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := llm.ChartSVG(tt.title, tt.pts)
			if err := wellFormed(svg); err != nil {
				t.Fatalf("not well-formed XML: %v\n%s", err, svg)
			}
			if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>") {
				t.Errorf("not one svg element: %s", svg)
			}
			for _, c := range tt.contains {
				if !strings.Contains(svg, c) {
					t.Errorf("missing %q in\n%s", c, svg)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(svg, a) {
					t.Errorf("unexpected %q in\n%s", a, svg)
				}
			}
		})
	}
}

func FuzzChartSVG(f *testing.F) {
	f.Add("Bedroom", int64(0), 18.5, int64(3600), 21.0)
	f.Add("<&>", int64(-1), math.Inf(-1), int64(1), math.NaN())
	f.Add("\x00\xff\x1b", int64(1<<62), 1e308, int64(-1<<62), -1e308)
	f.Fuzz(func(t *testing.T, title string, t1 int64, v1 float64, t2 int64, v2 float64) {
		svg := llm.ChartSVG(title, []llm.Point{{T: time.Unix(t1, 0), V: v1}, {T: time.Unix(t2, 0), V: v2}})
		if err := wellFormed(svg); err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
	})
}

func TestProviderError(t *testing.T) {
	cause := errors.New("boom")
	e := &llm.ProviderError{Kind: llm.KindRateLimit, Provider: "openai", Status: 429, RetryAfter: 7 * time.Second, Msg: "slow down", Err: cause}
	if !errors.Is(e, llm.ErrRateLimit) || errors.Is(e, llm.ErrAuth) || !errors.Is(e, cause) {
		t.Error("errors.Is does not match the kind and the cause only")
	}
	if got := e.Error(); got != "llm: openai: rate limited (HTTP 429), retry after 7s: slow down" {
		t.Errorf("Error() = %q", got)
	}
	var err error = fmtWrap(e)
	if pe, ok := errors.AsType[*llm.ProviderError](err); !ok || pe.Kind != llm.KindRateLimit {
		t.Error("AsType through a wrap failed")
	}
	if got := (&llm.ProviderError{Kind: llm.KindTimeout, Provider: "ollama", Err: cause}).Error(); got != "llm: ollama: timed out: boom" {
		t.Errorf("Error() = %q", got)
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }
