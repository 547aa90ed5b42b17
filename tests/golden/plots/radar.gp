reset
set encoding utf8
set termoption noenhanced
set title 'Fixture risk index: profile of each unit'
set key outside right top vertical Left reverse noautotitle box
unset border
unset xtics
unset ytics
set size ratio -1
set xrange [-2.1:2.1]
set yrange [-1.25:1.25]
$grid << EOD
0.000000 0.250000
0.216506 -0.125000
-0.216506 -0.125000
0.000000 0.250000

0.000000 0.500000
0.433013 -0.250000
-0.433013 -0.250000
0.000000 0.500000

0.000000 0.750000
0.649519 -0.375000
-0.649519 -0.375000
0.000000 0.750000

0.000000 1.000000
0.866025 -0.500000
-0.866025 -0.500000
0.000000 1.000000

0.000000 0.000000
0.000000 1.000000

0.000000 -0.000000
0.866025 -0.500000

-0.000000 -0.000000
-0.866025 -0.500000

EOD
set label '0' at 0.02, 0.000000 left font ',8' textcolor rgb '#777777'
set label '2.5' at 0.02, 0.250000 left font ',8' textcolor rgb '#777777'
set label '5' at 0.02, 0.500000 left font ',8' textcolor rgb '#777777'
set label '7.5' at 0.02, 0.750000 left font ',8' textcolor rgb '#777777'
set label '10' at 0.02, 1.000000 left font ',8' textcolor rgb '#777777'
set label 'Dimension one' at 0.000000, 1.100000 center
set label 'Dimension two' at 0.952628, -0.550000 left
set label 'Dimension three' at -0.952628, -0.550000 right
$series << EOD
# series 0
0.000000 0.600000
0.476314 -0.275000
-0.396863 -0.229129
0.000000 0.600000


# series 1
0.000000 0.450000
0.649519 -0.375000
-0.474342 -0.273861
0.000000 0.450000


# series 2
0.000000 0.350000
0.173205 -0.100000
-0.519615 -0.300000
0.000000 0.350000


# series 3
0.000000 0.300000
0.389711 -0.225000
-0.173205 -0.100000
0.000000 0.300000


EOD
set bmargin 7
set label 'Scenario: Base · run 1 · threatscore' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Radius: score from 0 (centre) to 10 (outer ring).' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $grid using 1:2 with lines lc rgb '#cccccc' lw 1 notitle, \
     $series index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.8 dt 1 lc rgb '#d62728' title 'Unit one', \
     $series index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.8 dt 1 lc rgb '#2ca02c' title 'Unit two', \
     $series index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.8 dt 1 lc rgb '#ff7f0e' title 'Unit three', \
     $series index 3 using 1:2 with linespoints lw 2 pt 7 ps 0.8 dt 1 lc rgb '#1f77b4' title 'Unit four'
