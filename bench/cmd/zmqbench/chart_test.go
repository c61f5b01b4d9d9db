package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// committedResults is the full run kept in bench/results.
func committedResults(t *testing.T) *Results {
	t.Helper()
	res, err := readResults(filepath.Join("..", "..", "results", "latest.json"))
	require.NoError(t, err)
	refresh(res)
	return res
}

func TestRatioTicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi float64
		want   []float64
	}{
		{"up to 1.3", 0, 1.3, []float64{0, 0.25, 0.5, 0.75, 1, 1.25}},
		{"up to 1.5", 0, 1.5, []float64{0, 0.25, 0.5, 0.75, 1, 1.25, 1.5}},
		{"up to 1.8", 0, 1.8, []float64{0, 0.5, 1, 1.5}},
		{"up to 2", 0, 2, []float64{0, 0.5, 1, 1.5, 2}},
		{"up to 2.7", 0, 2.7, []float64{0, 0.5, 1, 1.5, 2, 2.5}},
		{"up to 12", 0, 12, []float64{0, 2, 4, 6, 8, 10, 12, 1}},
		{"up to 0.6", 0, 0.6, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []float64
			for _, tk := range ratioTicks(tc.lo, tc.hi) {
				require.NotEmpty(t, tk.Label, "every tick is labelled")
				got = append(got, tk.Value)
			}
			require.InDeltaSlice(t, tc.want, got, 1e-9)
		})
	}
}

func TestRatioTicksLabels(t *testing.T) {
	var labels []string
	for _, tk := range ratioTicks(0, 1.5) {
		labels = append(labels, tk.Label)
	}
	require.Equal(t, []string{"0.00", "0.25", "0.50", "0.75", "1.00", "1.25", "1.50"}, labels)
}

// Every panel drawn from the committed run has its ratio axis on round values,
// with 1 among them, and ends at a labelled tick.
func TestChartPanelTicks(t *testing.T) {
	res := committedResults(t)
	keys := chartKeys(res)
	colors, err := chartColors(len(keys))
	require.NoError(t, err)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			p, _, ok, err := chartPanel(res, tr, keys, colors)
			require.NoError(t, err)
			require.True(t, ok)
			ticks := p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max)
			var one, top bool
			for _, tk := range ticks {
				if tk.Label == "" {
					continue
				}
				q := tk.Value / 0.25
				require.InDelta(t, math.Round(q), q, 1e-9, "tick %s is not a multiple of 0.25", tk.Label)
				one = one || tk.Value == 1
				top = top || math.Abs(tk.Value-p.Y.Max) < 1e-9
			}
			require.True(t, one, "no tick at 1")
			require.True(t, top, "the axis does not end at a tick")
		})
	}
}

// A row with no value at a size is marked, not left as an empty slot.
func TestChartPanelMarksMissing(t *testing.T) {
	res := committedResults(t)
	keys := chartKeys(res)
	colors, err := chartColors(len(keys))
	require.NoError(t, err)
	p, missing, ok, err := chartPanel(res, "tcp", keys, colors)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, missing)

	c := &recorder.Canvas{}
	p.Draw(draw.NewCanvas(c, 8*vg.Inch, 3*vg.Inch))
	var na int
	for _, a := range c.Actions {
		if fs, ok := a.(*recorder.FillString); ok && fs.String == "n/a" {
			na++
		}
	}
	// tcp has 256 B and 64 KiB groups where the layered rows do not run.
	require.GreaterOrEqual(t, na, 2)
}

// The legend puts each entry's text after its swatch with a clear gap, so no font
// width can make the text overprint the swatch.
func TestChartLegendSpacing(t *testing.T) {
	keys := []string{keyRawMessage, keyEvented, keyPipeline, keyC}
	colors, err := chartColors(len(keys))
	require.NoError(t, err)
	leg := chartLegend(keys, colors, true)
	c := &recorder.Canvas{}
	leg.Draw(draw.NewCanvas(c, 3*vg.Inch, 3*vg.Inch))

	var swatchRight vg.Length
	var texts []*recorder.FillString
	for _, a := range c.Actions {
		switch a := a.(type) {
		case *recorder.Fill:
			for _, comp := range a.Path {
				swatchRight = max(swatchRight, comp.Pos.X)
			}
		case *recorder.FillString:
			texts = append(texts, a)
		}
	}
	require.Len(t, texts, len(keys)+3)
	require.Equal(t, rowName(keyPipeline), texts[2].String)
	for _, ts := range texts {
		require.GreaterOrEqual(t, ts.Point.X-swatchRight, vg.Points(6), "%q starts too close to its swatch", ts.String)
	}
}

// The chart of the committed run renders as a PNG through the same code as the SVG.
func TestWriteChartPNG(t *testing.T) {
	res := committedResults(t)
	path := filepath.Join(t.TempDir(), "chart.png")
	drawn, err := writeChart(path, res)
	require.NoError(t, err)
	require.True(t, drawn)
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 1000)
}

var _ plot.Thumbnailer = gapped{}
