# common.gp: the shared style of the sppbench plots. Every script is run as
#   gnuplot -c plots/NAME.gp DATA OUT
# and loads this file first, after copying its arguments to DATA, OUT and NARGS (gnuplot's
# `load` clears ARG1..ARGn). The terminal follows OUT's extension: .png -> pngcairo,
# .pdf -> pdfcairo. Data files (written by harness/report.py) carry their own metadata in
# comment lines "# key: value", read with meta("key").
if (NARGS < 2) { print "usage: gnuplot -c SCRIPT.gp DATA OUT(.png|.pdf)"; exit status 2 }
set encoding utf8
set micro           # %c prints µ, not u
EXT = strlen(OUT) > 4 ? OUT[strlen(OUT)-3:] : ""
if (EXT eq ".png") {
    set terminal pngcairo noenhanced size 1200,720 font "DejaVu Sans,13" linewidth 1.5
    SMALL = ",11"   # tick labels of category axes (long, rotated)
} else {
    if (EXT eq ".pdf") {
        set terminal pdfcairo noenhanced size 8in,4.8in font "DejaVu Sans,10" linewidth 1.2
        SMALL = ",7"
    } else {
        print sprintf("%s: output must end in .png or .pdf", OUT); exit status 2
    }
}
set output OUT
meta(key) = system(sprintf("sed -n 's/^# %s: //p' '%s' | head -n 1", key, DATA))

set grid xtics ytics mxtics mytics lc rgb "#dddddd" lw 0.8
set border 3 lw 1
set tics nomirror out
set key outside right top vertical Left reverse noenhanced box lc rgb "#bbbbbb" spacing 1.2
set title font ",14" noenhanced
set datafile missing "-"

# Our kernels: 1..8 (Okabe-Ito colours, solid); peers: 11..13 (dashed, open points);
# 100: the machine's bound (black, dashed, + marks).
set style line 1 lc rgb "#0072B2" lw 2 pt 7  ps 1.1
set style line 2 lc rgb "#D55E00" lw 2 pt 5  ps 1.1
set style line 3 lc rgb "#009E73" lw 2 pt 9  ps 1.3
set style line 4 lc rgb "#CC79A7" lw 2 pt 11 ps 1.3
set style line 5 lc rgb "#E69F00" lw 2 pt 13 ps 1.2
set style line 6 lc rgb "#56B4E9" lw 2 pt 15 ps 1.2
set style line 7 lc rgb "#8C7A00" lw 2 pt 3  ps 1.1
set style line 8 lc rgb "#555555" lw 2 pt 2  ps 1.1
set style line 11 lc rgb "#882255" lw 2 dt 2 pt 6  ps 1.1
set style line 12 lc rgb "#44AA99" lw 2 dt 3 pt 4  ps 1.1
set style line 13 lc rgb "#332288" lw 2 dt 4 pt 8  ps 1.2
set style line 100 lc rgb "#000000" lw 2.5 dt (8,6) pt 1 ps 1.6
