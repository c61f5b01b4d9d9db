package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chartFile is the name of the chart in the -out directory.
const chartFile = "throughput-ratios.svg"

// legendWidth is the right margin that holds the legend.
const legendWidth vg.Length = 150 // points

// writeChart draws the throughput ratios to raw pebbe as one SVG with a panel per
// transport: one bar group per message size, one bar per implementation (median),
// whiskers from min to max, and dashed lines at 1.0 (raw pebbe) and at the
// zmqevented bar (0.9), drawn with gonum/plot. It returns false when there is nothing to draw.
func writeChart(path string, res *Results) (bool, error) {
	var keys []string // rows with a ratio somewhere, in table order
	seen := map[string]bool{}
	for _, r := range sortedRows() {
		for _, sr := range res.Scenarios {
			if rr := sr.Row(r.Key()); sr.Kind == KindThroughput && rr != nil && rr.Ratio != nil && !seen[r.Key()] {
				seen[r.Key()] = true
				keys = append(keys, r.Key())
			}
		}
	}
	var panels []*plot.Plot
	for _, t := range transports {
		p, ok, err := chartPanel(res, t, keys, len(panels) == 0)
		if err != nil {
			return false, err
		}
		if ok {
			panels = append(panels, p)
		}
	}
	if len(panels) == 0 {
		return false, nil
	}
	w, h := 9*vg.Inch, vg.Length(len(panels))*2.6*vg.Inch+0.3*vg.Inch
	canvas := vgsvg.New(w, h)
	dc := draw.New(canvas)
	grid := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		grid[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: legendWidth}
	for i, cs := range plot.Align(grid, tiles, dc) {
		panels[i].Draw(cs[0])
	}
	f, err := os.Create(path)
	if err != nil {
		return false, err
	}
	_, werr := canvas.WriteTo(f)
	return true, errors.Join(werr, f.Close())
}

// chartPanel is one transport's bar groups. ok is false when no row has a ratio there.
func chartPanel(res *Results, transport string, keys []string, legend bool) (*plot.Plot, bool, error) {
	var scs []*ScenarioResult
	for _, sr := range res.Scenarios {
		if sr.Kind == KindThroughput && sr.Transport == transport {
			scs = append(scs, sr)
		}
	}
	if len(scs) == 0 {
		return nil, false, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("PUSH → PULL throughput over %s: ratio to raw pebbe RecvBytes (median, min–max)", transport)
	p.Y.Label.Text = "× raw pebbe"
	p.Y.Min = 0
	names := make([]string, len(scs))
	for i, sr := range scs {
		names[i] = sizeLabel(sr.Size)
	}
	p.NominalX(names...)
	width := min(14*vg.Points(1), vg.Points(84)/vg.Length(max(len(keys), 1)))
	colors, err := chartColors(len(keys))
	if err != nil {
		return nil, false, err
	}
	// The axis is scaled to the Go rows; the C row (the limit, often several times raw)
	// is cut at the top with its value written there.
	top, drawn := 1.3, false
	for _, k := range keys {
		for _, sr := range scs {
			if rr := sr.Row(k); rr != nil && rr.Ratio != nil {
				drawn = true
				if k != keyC {
					top = math.Max(top, 1.1*rr.Ratio.Max)
				}
			}
		}
	}
	if !drawn {
		return nil, false, nil
	}
	for i, k := range keys {
		vals := make(plotter.Values, len(scs))
		lo, hi := make([]float64, len(scs)), make([]float64, len(scs))
		var cut plotter.XYLabels
		for j, sr := range scs {
			if rr := sr.Row(k); rr != nil && rr.Ratio != nil {
				vals[j], lo[j], hi[j] = rr.Ratio.Median, min(rr.Ratio.Min, top), min(rr.Ratio.Max, top)
				if rr.Ratio.Median > top {
					cut.XYs = append(cut.XYs, plotter.XY{X: float64(j), Y: top})
					cut.Labels = append(cut.Labels, fmtRatio(rr.Ratio.Median)+"×")
				}
			}
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, false, err
		}
		bc.Color = colors[i%len(colors)]
		bc.LineStyle.Width = 0
		bc.Offset = (vg.Length(i) - vg.Length(len(keys)-1)/2) * width
		p.Add(bc, &whiskers{offset: bc.Offset, lo: lo, hi: hi})
		if len(cut.XYs) > 0 {
			labels, err := plotter.NewLabels(cut)
			if err != nil {
				return nil, false, err
			}
			for i := range labels.TextStyle {
				labels.TextStyle[i].Font.Size = vg.Points(7)
				labels.TextStyle[i].XAlign = draw.XCenter
			}
			labels.Offset = vg.Point{X: bc.Offset, Y: -vg.Points(10)}
			p.Add(labels)
		}
		if legend {
			p.Legend.Add(registry[k].Name(), bc)
		}
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color, one.Dashes, one.Width = color.Gray{Y: 80}, []vg.Length{vg.Points(4), vg.Points(3)}, vg.Points(0.8)
	bar := plotter.NewFunction(func(float64) float64 { return 0.9 })
	bar.Color, bar.Dashes, bar.Width = color.RGBA{R: 200, A: 255}, []vg.Length{vg.Points(2), vg.Points(2)}, vg.Points(0.8)
	p.Add(one, bar)
	p.Y.Min, p.Y.Max = 0, top // after Add, which widens the axis to every bar
	if legend {
		p.Legend.Add("raw pebbe RecvBytes = 1", one)
		p.Legend.Add("zmqevented bar 0.9×", bar)
		p.Legend.Top = true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		p.Legend.XOffs = legendWidth - 4*vg.Millimeter // into the right margin the tiles leave
	}
	return p, true, nil
}

// chartColors returns n colors for the bars, distinct for up to 12 rows (ColorBrewer's
// qualitative "Paired" palette; plotutil's default has 7, fewer than the rows).
func chartColors(n int) ([]color.Color, error) {
	p, err := brewer.GetPalette(brewer.TypeQualitative, "Paired", min(max(n, 3), 12))
	if err != nil {
		return nil, err
	}
	return p.Colors(), nil
}

// whiskers draws a min–max line over each bar of one bar chart.
type whiskers struct {
	offset vg.Length
	lo, hi []float64
}

func (w *whiskers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	style := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	for i := range w.lo {
		if w.hi[i] <= 0 {
			continue
		}
		x := trX(float64(i)) + w.offset
		tick := vg.Points(2)
		c.StrokeLine2(style, x, trY(w.lo[i]), x, trY(w.hi[i]))
		c.StrokeLine2(style, x-tick, trY(w.lo[i]), x+tick, trY(w.lo[i]))
		c.StrokeLine2(style, x-tick, trY(w.hi[i]), x+tick, trY(w.hi[i]))
	}
}
