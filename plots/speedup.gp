# Speedup over naive as a dot plot: one row per problem shape (y, shared by the panels), log
# speedup on x, one marker per kernel; one panel per layout (NCHW kernels + their peers, NHWC
# kernels + theirs). Row labels are drawn on the left panel only; within a row the kernels are
# offset slightly in y (in legend order) so that equal values stay visible.
# DATA: blocks separated by two blank lines, one per (panel, kernel); header '"<kernel>" row
# speedup'; meta lines: title, panels, panel<p>, blocks<p>, styles (one line style per block),
# rows (count), ytics (gnuplot tic list of the row labels), xmin, xmax.
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
NP = int(meta("panels"))
STYLES = meta("styles")
NR = int(meta("rows"))
TICS = meta("ytics")
set logscale x
eval sprintf("set xrange [%s:%s]", meta("xmin"), meta("xmax"))
set yrange [NR + 0.7:0.3]          # first row on top
set format x "%gx"
set xlabel "speedup over naive (log scale; > 1 = faster)"
set grid noxtics nomxtics noytics nomytics
set grid xtics mxtics ytics lc rgb "#dddddd" lw 0.8
set arrow 1 from first 1, graph 0 to first 1, graph 1 nohead lc rgb "#000000" dt (8,6) lw 1.5
set multiplot title meta("title") font ",14"
L = 0.22; R = 0.97
do for [p=1:NP] {
    set title meta(sprintf("panel%d", p)) font ",13"
    set lmargin at screen panel_l(p, NP, L, R)
    set rmargin at screen panel_r(p, NP, L, R)
    set tmargin at screen 0.89
    set bmargin at screen 0.26
    if (p == 1) { eval "set ytics (".TICS[2:strlen(TICS)-1].") font SMALL" } \
    else { set ytics 1, 1, NR; set format y "" }
    B = meta(sprintf("blocks%d", p))
    set key at screen panel_l(p, NP, L, R) - 0.04, 0.14 left top vertical maxrows (words(B) + 1) / 2 \
        width 0 nobox samplen 1 spacing 1.1
    NB = words(B)
    # kernels of a row are spread a little vertically, so equal speedups do not hide each other
    plot for [j=1:NB] DATA index int(word(B, j)) \
         using "speedup":(column("row") + (j - (NB + 1) / 2.0) * 0.11) with points \
         ls int(word(STYLES, int(word(B, j)) + 1)) ps 1.6 * PSF title columnheader(1)
}
unset multiplot
