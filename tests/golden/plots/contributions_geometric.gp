reset
set encoding utf8
set termoption noenhanced
set title 'Dimension three: contribution of each part'
set xlabel 'unit, from the highest risk (rank 1) down'
set ylabel 'contribution to the score (scale 0-10)'
set key outside right top vertical Left reverse noautotitle box
set yrange [0:10.6]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set style fill solid 0.9 border lc rgb '#333333'
set xtics ('Unit three' 0, 'Unit two' 1, 'Unit one' 2, 'Unit four' 3) nomirror
$parts << EOD
# 0
0 0.9230769231 0.35 0.9230769231
1 1.493788793 0.35 1.493788793
2 0.6873863542 0.35 0.6873863542


# 1
0 3.923076923 0.35 2.076923077
1 4.232401581 0.35 1.244823994
2 2.978674202 0.35 1.603901493
3 1 0.35 1


EOD
$totals << EOD
0 6 6
1 5.477225575 5.477225575
2 4.582575695 4.582575695
3 2 2
EOD
set bmargin 9
set label 'Scenario: Base · run 1 · threatscore' at screen 0.01, screen 0.075 left font ',8' textcolor rgb '#444444'
set label 'The node uses the geometric mean, not a weighted sum: its score is split in proportion to weight x score of each part.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Some units miss parts: their other parts'' weights are rescaled.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $parts index 1 using 1:2:3:4 with boxxyerror fc rgb '#f28e2b' title 'Zed two', \
     $parts index 0 using 1:2:3:4 with boxxyerror fc rgb '#4e79a7' title 'Zed one', \
     $totals using 1:3:(sprintf('%.2f', $2)) with labels offset 0,0.7 font ',9' notitle
