# Thread scaling per kernel (and layout, for a kernel run on both): time(t_low) / time(t_high),
# geometric mean over the problems run at both thread counts, whiskers from the min to the max
# ratio; bar colours are the kernels' palette colours, the geometric mean is written at the
# bar's foot; the dashed line is the ideal speedup.
# DATA: header 'kernel speedup_geomean speedup_min speedup_max problems color' (color: palette
# linetype 1..12 of common.gp); meta: title, ideal.
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
IDEAL = real(meta("ideal"))
# title and key above the plot area, so neither covers a bar or a whisker
set label 10 meta("title") at screen 0.5, 0.965 center font ",14"
set style fill solid 0.9 border lc rgb "white"
set boxwidth 0.6
stats DATA using "speedup_max" nooutput
TOP = STATS_max > IDEAL ? STATS_max : IDEAL
set yrange [0:TOP * 1.2]
set xrange [-0.6:STATS_records - 0.4]
set ylabel "parallel speedup (x, higher = better)"
set xlabel "kernel"
set xtics rotate by 30 right font SMALL
set lmargin 12
set bmargin 8
set grid noxtics nomxtics
set tmargin at screen 0.85
set key at screen 0.5, 0.935 center top horizontal maxrows 1 nobox samplen 3
plot DATA using 0:"speedup_geomean":(column("color")):xtic(1) with boxes lc variable notitle, \
     NaN with boxes lc rgb "#999999" title "geometric mean (colour: kernel)", \
     ''   using 0:"speedup_geomean":"speedup_min":"speedup_max" with yerrorbars \
          lc rgb "#000000" pt 0 lw 1.5 title "min..max over problems", \
     IDEAL with lines lc rgb "#000000" dt (8,6) lw 1.5 title sprintf("ideal (%gx)", IDEAL), \
     ''   using 0:(0):(sprintf("%.2fx", column("speedup_geomean"))) with labels \
          offset 0,1 font ",12:Bold" tc rgb "white" notitle
