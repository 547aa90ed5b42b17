set multiplot layout 1,1 title 'Change against Shock (run 2) at Dimension one' margins screen 0.07,0.98,0.114,0.900 spacing screen 0.05,0.110
set label 'Bars: run minus reference (run 2 Shock, scale 0-10). Marks: rank from→to (1 = highest risk), class change.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Each scenario''s latest run; per-year runs (NAME@YEAR) only with --run.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
set xzeroaxis lt -1 lw 1
set grid ytics lc rgb '#e5e5e5'
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.6
unset key
set ytics nomirror font ',8'
set xrange [-0.6:3.6]
set yrange [-6.3:6.3]
set xtics ('Unit two' 0, 'Unit four' 1, 'Unit three' 2, 'Unit one' 3) nomirror font ',8'
set title 'run 1: Base' font ',9'
$change0 << EOD
0 -3 2924588
1 -3 2062260
2 0 16744206
3 3 14034728
EOD
set label 'rank 1→2' at 0, -3 center offset 0,-1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'Very high→Medium' at 0, -3 center offset 0,-2.9 font ',8' textcolor rgb '#a01010'
set label 'rank 2→4' at 1, -3 center offset 0,-1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'High→Low' at 1, -3 center offset 0,-2.9 font ',8' textcolor rgb '#a01010'
set label 'rank 4→1' at 3, 3 center offset 0,1.8 font ',8' textcolor rgb '#1f3f7f'
set label 'Low→High' at 3, 3 center offset 0,2.9 font ',8' textcolor rgb '#a01010'
plot $change0 using 1:2:3 with boxes lc rgb variable, \
     $change0 using 1:($2 >= 0 ? $2 : NaN):(sprintf('%+.2f', $2)) with labels offset 0,0.7 font ',8', \
     $change0 using 1:($2 < 0 ? $2 : NaN):(sprintf('%+.2f', $2)) with labels offset 0,-0.7 font ',8'
unset label
unset multiplot
