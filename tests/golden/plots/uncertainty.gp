reset
set encoding utf8
set termoption noenhanced
set title 'Rank uncertainty at Fixture risk index'
set xlabel 'unit, by median rank (1 = highest risk)'
set ylabel 'rank (1 = highest risk)'
set key outside right top vertical Left reverse noautotitle box
set yrange [4.5:0.5]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set ytics 1 nomirror
set xtics ('Unit two' 0, 'Unit one' 1, 'Unit three' 2, 'Unit four' 3) nomirror
$ranks << EOD
0 1 1 2 2924588 2
1 2 1 2 14034728 1
2 3 3 4 16744206 3
3 4 3 4 2062260 4
EOD
set bmargin 7
set label 'Scenario: Base · uncertainty run 2 · threatscore' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Dot: median rank; whiskers: 5th to 95th percentile rank over 400 replications (seed 7); ring: nominal rank.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $ranks using 1:3:(0):($4 - $3):5 with vectors heads size screen 0.008,90 lw 2 lc rgb variable notitle, \
     $ranks using 1:($6 > 0 ? $6 : NaN) with points pt 6 ps 2.6 lw 1.5 lc rgb '#000000' notitle, \
     $ranks using 1:2:5 with points pt 7 ps 1.5 lc rgb variable notitle, \
     keyentry with points pt 7 ps 1.5 lc rgb '#555555' title 'median rank (unit colour)', \
     keyentry with vectors heads size screen 0.008,90 lw 2 lc rgb '#555555' title '5th to 95th percentile rank', \
     keyentry with points pt 6 ps 2.6 lw 1.5 lc rgb '#000000' title 'nominal rank'
