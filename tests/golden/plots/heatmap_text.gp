reset
set encoding utf8
set termoption noenhanced
set title 'Fixture risk index: the score of each part, per unit'
set xlabel 'unit, from the highest risk (rank 1) on the left'
set ylabel 'the 3 parts of Fixture risk index (its children in the taxonomy)'
set key outside right top vertical Left reverse noautotitle box
set cblabel 'score (scale 0-10)'
set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')
set cbrange [0:10]
set xrange [-0.5:3.5]
set yrange [-0.5:2.5]
set tics scale 0
unset key
set ytics ('Dimension one' 2, 'Dimension two' 1, 'Dimension three' 0) 
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror
$cells << EOD
0 2 6
0 1 5.5
0 0 4.582575695
1 2 4.5
1 1 7.5
1 0 5.477225575
2 2 3.5
2 1 2
2 0 6
3 2 3
3 1 4.5
3 0 2
EOD
set bmargin 6
set label 'Scenario: Base · run 1 · threatscore' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $cells using 1:2:(sprintf('%.2f', $3)) with labels
