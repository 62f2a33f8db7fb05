# % of the read-once bound (bound time / kernel time) vs input size, log-log: one panel per
# layout, one line per kernel over that layout's problems only, sorted by size.
# DATA: as time_vs_size.gp with block headers '"<series>" size_bytes pct_bound pct_bound_rw'
# (pct_bound_rw, % of the read+write bound, is data for readers; this plot draws pct_bound).
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
NP = int(meta("panels"))
STYLES = meta("styles")
WITH = meta("with")   # linespoints for one family of problems, points for a mix
set logscale xy
set format x "%.0s %cB"
set format y "%g%%"
eval sprintf("set xrange [%s:%s]", meta("xmin"), meta("xmax"))
eval sprintf("set yrange [%s:%s]", meta("ymin"), meta("ymax"))
set xlabel "input size (bytes, log scale)"
set arrow 1 from graph 0, first 100 to graph 1, first 100 nohead lc rgb "#000000" dt (8,6) lw 1.5
set label 1 "100% = the bound" at graph 0.02, first 100 left offset 0, 0.6 font ",11"
set multiplot title meta("title") font ",14"
do for [p=1:NP] {
    set title meta(sprintf("panel%d", p)) font ",13"
    set lmargin at screen panel_l(p, NP, 0.085, 0.965)
    set rmargin at screen panel_r(p, NP, 0.085, 0.965)
    set tmargin at screen 0.88
    set bmargin at screen 0.30
    B = meta(sprintf("blocks%d", p))
    set key at screen panel_l(p, NP, 0.085, 0.965), 0.17 left top vertical maxrows (words(B) + 1) / 2 \
        width -1 nobox samplen 3 spacing 1.1
    if (p == 1) { set ylabel "% of the read-once bound (log scale)" } else { unset ylabel }
    plot for [j=1:words(B)] DATA index int(word(B, j)) using "size_bytes":"pct_bound" \
         with @WITH ls int(word(STYLES, int(word(B, j)) + 1)) title columnheader(1)
}
unset multiplot
