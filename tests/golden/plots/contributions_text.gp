reset
set encoding utf8
set termoption noenhanced
set title 'Fixture risk index: contribution of each part'
set xlabel 'unit, from the highest risk (rank 1) down'
set ylabel 'contribution to the score (scale 0-10)'
set key outside right top vertical Left reverse noautotitle box
set yrange [0:10.6]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set style fill solid 0.9 border lc rgb '#333333'
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror
$parts << EOD
# 0
0 1.5 0.35 1.5
1 1.125 0.35 1.125
2 0.875 0.35 0.875
3 0.75 0.35 0.75


# 1
0 3.6875 0.35 0.6875
1 3.1875 0.35 0.9375
2 2 0.35 0.25
3 2.0625 0.35 0.5625


# 2
0 4.947821962 0.35 0.5728219619
1 4.809653197 0.35 0.6846531969
2 3 0.35 0.75
3 2.875 0.35 0.25


EOD
$totals << EOD
0 5.520643924 5.520643924
1 5.494306394 5.494306394
2 3.75 3.75
3 3.125 3.125
EOD
set bmargin 7
set label 'Scenario: Base · run 1 · threatscore' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Part = weight x score of the part, weights rescaled among the parts with data; the parts add up to the score.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
set rmargin 23
set label '1  Dimension one' at graph 1.02, graph 1.000 left front
set label '2  Dimension two' at graph 1.02, graph 0.950 left front
set label '3  Dimension three' at graph 1.02, graph 0.900 left front
unset key
plot $parts using 1:2:3:4 with boxxyerror notitle, \
     $parts using 1:2:(sprintf('%d', column(-2) + 1)) with labels notitle, \
     $totals using 1:3:(sprintf('%.2f', $2)) with labels offset 0,1 notitle
