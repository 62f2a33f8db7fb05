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
    PSF = 1.0       # point-size factor: pdfcairo draws the same ps about twice as large
} else {
    if (EXT eq ".pdf") {
        set terminal pdfcairo noenhanced size 8in,4.8in font "DejaVu Sans,10" linewidth 1.2
        SMALL = ",8"
        PSF = 0.55
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

# Palette: linetypes 1..12, twelve distinct colours with distinct markers (report.py gives
# every kernel one of them for the whole report: naive = 12, grey). Line styles 1..12 are the
# palette solid with filled markers (our kernels), 21..32 the same colours dashed with open
# markers (peers); 100: the machine's bound (black, dashed, + marks).
PAL_RGB = "#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9 #8C7A00 #882255 #44AA99 #332288 #AA4499 #666666"
PAL_PT = "7 5 9 11 13 15 5 7 13 9 15 3"
PAL_PS = "1.1 1.0 1.3 1.3 1.3 1.3 1.0 1.1 1.3 1.3 1.3 1.3"
do for [i=1:12] {
    set linetype i lc rgb word(PAL_RGB, i) lw 2 pt int(word(PAL_PT, i)) ps real(word(PAL_PS, i)) * PSF dt solid
    set style line i lt i
    # open marker = filled one - 1 in the cairo terminals' point types
    set style line 20+i lt i dt (7,4) pt int(word(PAL_PT, i)) - 1
}
set style line 100 lc rgb "#000000" lw 2.5 dt (8,6) pt 1 ps 1.6 * PSF

# Panels side by side (multiplot): PANEL(p, n, left, right) sets the margins of panel p of n
# between screen x = left and right; keys go below the panels, so they never cover data.
PANEL_GAP = 0.09
panel_l(p, n, l, r) = l + (p - 1) * ((r - l - (n - 1) * PANEL_GAP) / n + PANEL_GAP)
panel_r(p, n, l, r) = panel_l(p, n, l, r) + (r - l - (n - 1) * PANEL_GAP) / n
