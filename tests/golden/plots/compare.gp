reset
set encoding utf8
set termoption noenhanced
set title 'Fixture risk index: 2 runs compared'
set xlabel 'unit, in the first run''s order'
set ylabel 'score (scale 0-10)'
set key outside right top vertical Left reverse noautotitle box
set yrange [0:10.8]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set boxwidth 0.400000
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror
$bars << EOD
# run 1
-0.200000 5.520643924 14034728
0.800000 5.494306394 2924588
1.800000 3.75 16744206
2.800000 3.125 2062260


# run 2
0.200000 3.645643924 14034728
1.200000 6.994306394 2924588
2.200000 4.625 16744206
3.200000 4.625 2062260


EOD
set label '-3' at 0.200000, 3.845643924 center offset 0,0.5 font ',8' front
set label '+1' at 1.200000, 7.194306394 center offset 0,0.5 font ',8' front
set label '+1' at 2.200000, 4.825 center offset 0,0.5 font ',8' front
set label '+2' at 3.200000, 4.825 center offset 0,0.5 font ',8' front
set bmargin 7
set label 'Runs: 1 Base; 2 Shock' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Above bars: rank change against run 1 (+2 = two places higher, closer to rank 1 = highest risk). Bar colour: unit; fill: run.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $bars index 0 using 1:2:3 with boxes lc rgb variable fs solid 1.00 border lc rgb '#333333' notitle, \
     $bars index 1 using 1:2:3 with boxes lc rgb variable fs solid 0.55 border lc rgb '#333333' notitle, \
     NaN with boxes lc rgb '#555555' fs solid 1.00 border lc rgb '#333333' title 'run 1: Base', \
     NaN with boxes lc rgb '#555555' fs solid 0.55 border lc rgb '#333333' title 'run 2: Shock'
