# Median time per call vs input size (log-log): one panel per layout (NCHW, NHWC problems), one
# line per kernel over that layout's problems only, sorted by size; the read-once bound dashed.
# DATA: blocks separated by two blank lines, one per series; each block's header line is
# '"<series>" size_bytes time_s'; meta lines: title, panels (count), panel<p> (panel title),
# blocks<p> (block indices of panel p), styles (one line style per block), with (plot style),
# xmin, xmax, ymin, ymax (shared axis ranges).
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
NP = int(meta("panels"))
STYLES = meta("styles")
WITH = meta("with")   # linespoints for one family of problems, points for a mix
set logscale xy
set format x "%.0s %cB"
set format y "%.0s %cs"
eval sprintf("set xrange [%s:%s]", meta("xmin"), meta("xmax"))
eval sprintf("set yrange [%s:%s]", meta("ymin"), meta("ymax"))
set xlabel "input size (bytes, log scale)"
set multiplot title meta("title") font ",14"
do for [p=1:NP] {
    set title meta(sprintf("panel%d", p)) font ",13"
    set lmargin at screen panel_l(p, NP, 0.075, 0.965)
    set rmargin at screen panel_r(p, NP, 0.075, 0.965)
    set tmargin at screen 0.88
    set bmargin at screen 0.30
    B = meta(sprintf("blocks%d", p))
    set key at screen panel_l(p, NP, 0.075, 0.965), 0.17 left top vertical maxrows (words(B) + 1) / 2 \
        width -1 nobox samplen 3 spacing 1.1
    if (p == 1) { set ylabel "median time per call (log scale)" } else { unset ylabel }
    plot for [j=1:words(B)] DATA index int(word(B, j)) using "size_bytes":"time_s" with @WITH \
         ls int(word(STYLES, int(word(B, j)) + 1)) title columnheader(1)
}
unset multiplot
