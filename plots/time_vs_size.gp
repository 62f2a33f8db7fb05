# Median time per call vs input size, one line per kernel (log-log).
# DATA: blocks separated by two blank lines, one per series; each block's header line is
# '"<series>" size_bytes time_s'; meta lines: title, blocks, styles (one line style per block),
# with (plot style).
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
N = int(meta("blocks"))
STYLES = meta("styles")
WITH = meta("with")   # linespoints for one family of problems, points for a mix
set title meta("title")
set logscale xy
set format x "%.0s %cB"
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set format y "%.0s %cs"
set xlabel "input size (bytes, log scale; k/M/G = 10^3/10^6/10^9)"
set ylabel "median time per call (log scale)"
plot for [i=0:N-1] DATA index i using "size_bytes":"time_s" with @WITH \
     ls int(word(STYLES, i+1)) title columnheader(1)
