package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	_ "gonum.org/v1/plot/vg/vgsvg" // registers svg
)

// chartFile is the name of the chart in the -out directory.
const chartFile = "throughput-ratios.svg"

// Chart styling shared by the panels and the legend.
var (
	baselineColor = color.Gray{Y: 80}
	barLineColor  = color.RGBA{R: 200, A: 255}
	outlineColor  = color.Gray{Y: 90}
	naColor       = color.Gray{Y: 150}
	naFill        = color.Gray{Y: 235}
	gridColor     = color.Gray{Y: 225}
)

const (
	eventedBar = 0.95            // the zmqevented throughput bar above 16 B, drawn as a line
	plotWidth  = 9*vg.Inch - 150 // the panels (in points); the legend's width is added
)

// writeChart draws the throughput ratios to raw pebbe with a panel per transport: one
// bar group per message size, one bar per implementation (median), whiskers from min
// to max, a grey "n/a" stub where a row has no value at a size, and dashed lines at
// 1.0 (raw pebbe) and at the zmqevented bar (0.95), drawn with gonum/plot. The format
// follows path's extension (.svg, .png). It returns false when there is nothing to draw.
func writeChart(path string, res *Results) (bool, error) {
	keys := chartKeys(res)
	colors, err := chartColors(len(keys))
	if err != nil {
		return false, err
	}
	var panels []*plot.Plot
	var missing bool
	for _, t := range transports {
		p, m, ok, err := chartPanel(res, t, keys, colors)
		if err != nil {
			return false, err
		}
		if ok {
			panels = append(panels, p)
			missing = missing || m
		}
	}
	if len(panels) == 0 {
		return false, nil
	}
	leg := chartLegend(keys, colors, missing)
	lr := leg.Rectangle(draw.Canvas{})
	// A tenth more than measured: SVG viewers without the measured font use a wider one.
	legendWidth := (lr.Max.X-lr.Min.X)*1.1 + 6*vg.Millimeter

	w, h := plotWidth+legendWidth, vg.Length(len(panels))*2.6*vg.Inch+0.3*vg.Inch
	canvas, err := chartCanvas(w, h, path)
	if err != nil {
		return false, err
	}
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
	// The legend sits in the right margin the tiles leave, level with the first
	// panel's plotting area.
	leg.Draw(draw.Crop(dc, w-legendWidth+3*vg.Millimeter, 0, 0, -12*vg.Millimeter))
	f, err := os.Create(path)
	if err != nil {
		return false, err
	}
	_, werr := canvas.WriteTo(f)
	return true, errors.Join(werr, f.Close())
}

// chartCanvas is a canvas in the format path's extension names; a PNG is drawn at
// 144 dpi, so that its small print stays legible.
func chartCanvas(w, h vg.Length, path string) (vg.CanvasWriterTo, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if ext == "png" {
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(144))}, nil
	}
	return draw.NewFormattedCanvas(w, h, ext)
}

// chartKeys lists the rows with a throughput ratio somewhere, in table order.
func chartKeys(res *Results) []string {
	var keys []string
	for _, r := range sortedRows() {
		for _, sr := range res.Scenarios {
			if rr := sr.Row(r.Key()); sr.Kind == KindThroughput && rr != nil && rr.Ratio != nil {
				keys = append(keys, r.Key())
				break
			}
		}
	}
	return keys
}

// chartLegend lists the rows (swatch, then name), the two reference lines and, when
// some row has no value somewhere, the n/a stub. Text follows its swatch with a gap,
// left-aligned, so a viewer with a wider font than the one measured lets it run
// longer but never over the swatch.
func chartLegend(keys []string, colors []color.Color, missing bool) plot.Legend {
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(8)
	leg.ThumbnailWidth = vg.Points(18)
	leg.Padding = vg.Points(2.5)
	for i, k := range keys {
		leg.Add(rowName(k), gapped{swatch{fill: colors[i%len(colors)]}})
	}
	leg.Add("raw pebbe RecvBytes = 1", gapped{refLine(1, baselineColor, vg.Points(4), vg.Points(3))})
	leg.Add(fmt.Sprintf("zmqevented bar %.2f× (1.2× at 16 B)", eventedBar), gapped{refLine(eventedBar, barLineColor, vg.Points(2), vg.Points(2))})
	if missing {
		leg.Add("n/a: no value at that size", gapped{swatch{fill: naFill, line: naColor}})
	}
	return leg
}

// rowName is the registered row's label, or its key.
func rowName(k string) string {
	if r, ok := registry[k]; ok {
		return r.Name()
	}
	return k
}

// refLine is a dashed horizontal line at y across a panel.
func refLine(y float64, c color.Color, dash, gap vg.Length) *plotter.Function {
	f := plotter.NewFunction(func(float64) float64 { return y })
	f.Color, f.Dashes, f.Width = c, []vg.Length{dash, gap}, vg.Points(0.8)
	return f
}

// chartPanel is one transport's bar groups. missing reports a row without a value at
// some size there; ok is false when no row has a ratio there.
func chartPanel(res *Results, transport string, keys []string, colors []color.Color) (p *plot.Plot, missing, ok bool, err error) {
	var scs []*ScenarioResult
	for _, sr := range res.Scenarios {
		if sr.Kind == KindThroughput && sr.Transport == transport {
			scs = append(scs, sr)
		}
	}
	if len(scs) == 0 {
		return nil, false, false, nil
	}
	p = plot.New()
	p.Title.Text = fmt.Sprintf("PUSH → PULL throughput over %s: ratio to raw pebbe RecvBytes (median, min–max)", transport)
	if res.Quick {
		p.Title.Text += "\nindicative, quick run: a few short repetitions, no verdicts"
	}
	p.Y.Label.Text = "× raw pebbe"
	names := make([]string, len(scs))
	for i, sr := range scs {
		names[i] = sizeLabel(sr.Size)
	}
	p.NominalX(names...)
	width := min(14*vg.Points(1), vg.Points(84)/vg.Length(max(len(keys), 1)))
	// The axis is scaled to the Go rows; the C rows (often several times raw) are cut at
	// the top with their value written there.
	top, drawn := 1.3, false
	for _, k := range keys {
		for _, sr := range scs {
			if rr := sr.Row(k); rr != nil && rr.Ratio != nil {
				drawn = true
				if k != keyC && k != keyCTwo {
					top = math.Max(top, 1.1*rr.Ratio.Max)
				}
			}
		}
	}
	if !drawn {
		return nil, false, false, nil
	}
	step := tickStep(0, top)
	top = step * math.Ceil(top/step-1e-9)
	p.Y.Tick.Marker = plot.TickerFunc(ratioTicks)
	na := make([][]bool, len(scs))
	for j := range na {
		na[j] = make([]bool, len(keys))
	}
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal.Color, g.Horizontal.Width = gridColor, vg.Points(0.5)
	p.Add(g)
	for i, k := range keys {
		vals := make(plotter.Values, len(scs))
		lo, hi := make([]float64, len(scs)), make([]float64, len(scs))
		var cut plotter.XYLabels
		for j, sr := range scs {
			rr := sr.Row(k)
			if rr == nil || rr.Ratio == nil {
				na[j][i], missing = true, true
				continue
			}
			vals[j], lo[j], hi[j] = rr.Ratio.Median, min(rr.Ratio.Min, top), min(rr.Ratio.Max, top)
			if rr.Ratio.Median > top {
				cut.XYs = append(cut.XYs, plotter.XY{X: float64(j), Y: top})
				cut.Labels = append(cut.Labels, fmtRatio(rr.Ratio.Median)+"×")
			}
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, false, false, err
		}
		bc.Color = colors[i%len(colors)]
		bc.LineStyle.Color, bc.LineStyle.Width = outlineColor, vg.Points(0.3)
		bc.Offset = (vg.Length(i) - vg.Length(len(keys)-1)/2) * width
		p.Add(bc, &whiskers{offset: bc.Offset, lo: lo, hi: hi})
		if len(cut.XYs) > 0 {
			labels, err := plotter.NewLabels(cut)
			if err != nil {
				return nil, false, false, err
			}
			for i := range labels.TextStyle {
				labels.TextStyle[i].Font.Size = vg.Points(7)
				labels.TextStyle[i].XAlign = draw.XCenter
			}
			labels.Offset = vg.Point{X: bc.Offset, Y: -vg.Points(10)}
			p.Add(labels)
		}
	}
	p.Add(&naStubs{width: width, na: na})
	p.Add(refLine(1, baselineColor, vg.Points(4), vg.Points(3)), refLine(eventedBar, barLineColor, vg.Points(2), vg.Points(2)))
	// After Add, which fits the axes to the data: the reference lines span the whole
	// width, and the bars that cross the top are cut there.
	p.X.Min, p.X.Max = -0.5, float64(len(scs))-0.5
	p.Y.Min, p.Y.Max = 0, top
	return p, missing, true, nil
}

// tickStep is the distance between labelled ticks on a ratio axis from lo to hi: the
// smallest of 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, … that leaves at most six
// intervals.
func tickStep(lo, hi float64) float64 {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	for mag := 0.1; ; mag *= 10 {
		for _, m := range []float64{1, 2, 2.5, 5} {
			if s := m * mag; span/s <= 6+1e-9 {
				return s
			}
		}
	}
}

// ratioTicks marks a ratio axis at multiples of tickStep, and always at 1 (the
// baseline) when the range holds it; labels carry as many decimals as the step needs.
func ratioTicks(lo, hi float64) []plot.Tick {
	step := tickStep(lo, hi)
	decimals := 0
	for s := step; decimals < 3 && math.Abs(s-math.Round(s)) > 1e-9; s *= 10 {
		decimals++
	}
	var ticks []plot.Tick
	one := false
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+1e-9; i++ {
		v := i * step
		if math.Abs(v-1) < 1e-9 {
			one = true
		}
		if v == 0 {
			v = 0 // not -0, which prints as "-0.0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
	}
	if !one && lo <= 1 && 1 <= hi {
		ticks = append(ticks, plot.Tick{Value: 1, Label: "1"})
	}
	return ticks
}

// chartColors returns n colors for the bars, distinct for up to 20 rows (ColorBrewer's
// qualitative "Paired" palette, then "Dark2"; plotutil's default has 7, fewer than the
// rows).
func chartColors(n int) ([]color.Color, error) {
	p, err := brewer.GetPalette(brewer.TypeQualitative, "Paired", min(max(n, 3), 12))
	if err != nil {
		return nil, err
	}
	colors := p.Colors()
	if n > 12 {
		more, err := brewer.GetPalette(brewer.TypeQualitative, "Dark2", min(max(n-12, 3), 8))
		if err != nil {
			return nil, err
		}
		colors = append(colors, more.Colors()...)
	}
	return colors, nil
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

// naStubs marks the slots that have no value: each run of neighbouring empty slots
// in a group gets one short grey box with "n/a" in it (written upwards when the run is
// one slot wide), so an empty slot is never read as a ratio of zero.
type naStubs struct {
	width vg.Length // of one bar
	na    [][]bool  // [group][key]: no value
}

func (s *naStubs) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	ts := draw.TextStyle{Color: naColor, Font: p.Y.Tick.Label.Font, Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YCenter}
	ts.Font.Size = vg.Points(7)
	text := ts.Rectangle("n/a").Size()
	for j, slots := range s.na {
		for i := 0; i < len(slots); i++ {
			if !slots[i] {
				continue
			}
			n := 1
			for i+n < len(slots) && slots[i+n] {
				n++
			}
			x0 := trX(float64(j)) + (vg.Length(i)-vg.Length(len(slots))/2)*s.width
			w := vg.Length(n) * s.width
			h, sty := text.Y+vg.Points(4), ts
			if w < text.X+vg.Points(2) {
				h, sty.Rotation = text.X+vg.Points(5), math.Pi/2
			}
			r := vg.Rectangle{Min: vg.Point{X: x0 + vg.Points(0.5), Y: trY(0)}, Max: vg.Point{X: x0 + w - vg.Points(0.5), Y: trY(0) + h}}
			c.SetColor(naFill)
			c.Fill(r.Path())
			c.SetLineStyle(draw.LineStyle{Color: naColor, Width: vg.Points(0.4)})
			c.Stroke(r.Path())
			c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, "n/a")
			i += n - 1
		}
	}
}

// swatch is a legend thumbnail: a filled box, outlined when line is set.
type swatch struct {
	fill, line color.Color
}

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.SetColor(s.fill)
	c.Fill(r.Path())
	lc := s.line
	if lc == nil {
		lc = outlineColor
	}
	c.SetLineStyle(draw.LineStyle{Color: lc, Width: vg.Points(0.4)})
	c.Stroke(r.Path())
}

// gapped draws a legend thumbnail in the left part of its box, leaving a gap before
// the entry's text.
type gapped struct{ plot.Thumbnailer }

func (g gapped) Thumbnail(c *draw.Canvas) {
	in := *c
	in.Max.X -= vg.Points(6)
	in.Min.Y += vg.Points(1)
	in.Max.Y -= vg.Points(1)
	g.Thumbnailer.Thumbnail(&in)
}
