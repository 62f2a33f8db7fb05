# Fraction of the read-once bound (bound time / kernel time, %) vs input size, per kernel.
# DATA: blocks as in time_vs_size.gp with columns '"<series>" size_bytes pct_bound'.
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
N = int(meta("blocks"))
STYLES = meta("styles")
WITH = meta("with")   # linespoints for one family of problems, points for a mix
set title meta("title")
set logscale x
set format x "%.0s %cB"
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set yrange [0:*]
set xlabel "input size (bytes, log scale; k/M/G = 10^3/10^6/10^9)"
set ylabel "% of the read-once bound (100% = reads the input at the bound's speed)"
set arrow from graph 0, first 100 to graph 1, first 100 nohead lc rgb "#000000" dt (8,6) lw 1.5
plot for [i=0:N-1] DATA index i using "size_bytes":"pct_bound" with @WITH \
     ls int(word(STYLES, i+1)) title columnheader(1)
