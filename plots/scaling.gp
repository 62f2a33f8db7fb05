# Thread scaling per kernel: time(t_low) / time(t_high), geometric mean over the problems run
# at both thread counts, bars from the min to the max ratio; the dashed line is the ideal.
# DATA: header 'kernel speedup_geomean speedup_min speedup_max problems'; meta: title, ideal.
DATA = ARG1; OUT = ARG2; NARGS = ARGC   # `load` clears ARG1..ARGn
load system("dirname '".ARG0."'")."/common.gp"
IDEAL = real(meta("ideal"))
set title meta("title")
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.6
stats DATA using "speedup_max" nooutput
TOP = STATS_max > IDEAL ? STATS_max : IDEAL
set yrange [0:TOP * 1.25]
set xrange [-0.6:*]
set ylabel "parallel speedup (x)"
set xtics rotate by 30 right font SMALL
set lmargin 12
set grid noxtics nomxtics
set bmargin 7
set key outside right top
set arrow from graph 0, first IDEAL to graph 1, first IDEAL nohead lc rgb "#000000" dt (8,6) lw 1.5
set label sprintf("ideal %gx", IDEAL) at graph 0.99, first IDEAL right offset 0,0.7
plot DATA using 0:"speedup_geomean":xtic(1) with boxes ls 1 title "geometric mean", \
     ''   using 0:"speedup_geomean":"speedup_min":"speedup_max" with yerrorbars \
          lc rgb "#000000" pt 0 lw 1.5 title "min..max over problems", \
     ''   using 0:"speedup_max":(sprintf("%.2fx", column("speedup_geomean"))) with labels \
          offset 0,1 font ",12" notitle
