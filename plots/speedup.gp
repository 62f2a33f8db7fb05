# Speedup over the naive kernel per workload: grouped bars, one bar per kernel (log y).
# DATA: header 'label "<kernel 1>" "<kernel 2>" ...', then one row per workload ("-" = no
# row); meta lines: title, columns (label + kernels), styles (one line style per kernel),
# ymin (bottom of the log axis, a power of 10 below the smallest speedup).
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
NC = int(meta("columns"))
STYLES = meta("styles")
set title meta("title")
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.9 border rgb "#333333"
set boxwidth 0.95 relative
set logscale y
set yrange [real(meta("ymin")):*]
set format y "%gx"
set ylabel "speedup over naive (log scale; > 1 = faster)"
set xtics rotate by 40 right font SMALL
set lmargin 14
set grid noxtics nomxtics
set bmargin 10
# Bars: solid borders for every series (peers keep their colours, not their dashes).
do for [s in "11 12 13"] { eval "set style line ".s." dt solid" }
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#000000" dt (8,6) lw 1.5
plot for [i=2:NC] DATA using i:xtic(1) ls int(word(STYLES, i-1)) title columnheader(i)
