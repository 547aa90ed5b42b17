reset
set encoding utf8
set termoption noenhanced
set title 'Fixture risk index: the scores of 2 runs side by side'
set xlabel 'unit, from the reference''s highest risk (rank 1) down'
set ylabel 'score (scale 0-10)'
set key outside right top vertical Left reverse noautotitle box
set yrange [0:10]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set boxwidth 0.400000
set style fill solid 1.0 border lc rgb '#333333'
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror
$bars << EOD
# run 1
-0.200000 5.520643924
0.800000 5.494306394
1.800000 3.75
2.800000 3.125


# run 2
0.200000 3.645643924
1.200000 6.994306394
2.200000 4.625
3.200000 4.625


EOD
set bmargin 6
set label 'The reference is run 1 Base; `plot compare` draws each run''s change against it.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $bars index 0 using 1:2 with boxes fc rgb '#4d4d4d' title 'run 1: Base (reference)', \
     $bars index 1 using 1:2 with boxes fc rgb '#8fb3d9' title 'run 2: Shock'
