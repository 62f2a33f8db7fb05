# Where each detection method's time per image goes (make bench-sppnet): one stacked bar per
# (method, threads), segments warp, conv1-5, region SPP / pool5, fc6+fc7; the total is written
# above each bar. Seconds per image on a linear axis: R-CNN's bar dwarfs SPP-net's, which is
# the comparison's point (the tables give the small bars' numbers).
# DATA (written by harness/sppnet/tables.py): header 'bar warp conv pool fc total'; meta: title.
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
set label 10 meta("title") at screen 0.5, 0.965 center font ",14"
set tmargin at screen 0.86
set key at screen 0.5, 0.935 center top horizontal maxrows 1 nobox samplen 2
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border lc rgb "white"
set boxwidth 0.6
set ylabel "seconds per image (lower = better)"
set xtics font SMALL
set grid noxtics nomxtics
stats DATA using "total" nooutput
set yrange [0:STATS_max * 1.15]
plot DATA using "warp":xtic(1) title "warp (R-CNN)" lc rgb "#E69F00", \
     '' using "conv" title "conv1-5" lc rgb "#0072B2", \
     '' using "pool" title "region SPP / pool5 (libspp)" lc rgb "#D55E00", \
     '' using "fc" title "fc6 + fc7" lc rgb "#009E73", \
     '' using 0:"total":(sprintf("%.2f s", column("total"))) with labels offset 0,0.8 \
        notitle
