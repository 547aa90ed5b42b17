set multiplot layout 1,1 title 'Change against Base (run 1) at Fixture risk index' margins screen 0.07,0.98,0.114,0.900 spacing screen 0.05,0.110
set label 'Bars: run minus reference (run 1 Base, scale 0-10). Marks: rank from→to (1 = highest risk), class change.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Each scenario''s latest run; per-year runs (NAME@YEAR) only with --run.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
set xzeroaxis lt -1 lw 1
set grid ytics lc rgb '#e5e5e5'
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.6
unset key
set ytics nomirror font ',8'
set xrange [-0.6:3.6]
set yrange [-3.9375:3.9375]
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror font ',8'
set title 'run 2: Shock' font ',9'
$change0 << EOD
0 -1.875 14034728
1 1.5 2924588
2 0.875 16744206
3 1.5 2062260
EOD
set label 'rank 1→4' at 0, -1.875 center offset 0,-1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'High→Medium' at 0, -1.875 center offset 0,-2.9 font ',8' textcolor rgb '#a01010'
set label 'rank 2→1' at 1, 1.5 center offset 0,1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'High→Very high' at 1, 1.5 center offset 0,2.9 font ',8' textcolor rgb '#a01010'
set label 'rank 3→2' at 2, 0.875 center offset 0,1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'rank 4→2' at 3, 1.5 center offset 0,1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'Low→Medium' at 3, 1.5 center offset 0,2.9 font ',8' textcolor rgb '#a01010'
plot $change0 using 1:2:3 with boxes lc rgb variable, \
     $change0 using 1:($2 >= 0 ? $2 : NaN):(sprintf('%+.2f', $2)) with labels offset 0,0.7 font ',8', \
     $change0 using 1:($2 < 0 ? $2 : NaN):(sprintf('%+.2f', $2)) with labels offset 0,-0.7 font ',8'
unset label
unset multiplot
