reset
set encoding utf8
set termoption noenhanced
set title 'Fixture risk index: units x categories'
set xlabel 'category (parts of Fixture risk index)'
set ylabel 'unit (highest risk on top)'
set key outside right top vertical Left reverse noautotitle box
set cblabel 'score (scale 0-10)'
set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')
set cbrange [0:10]
set xrange [-0.5:2.5]
set yrange [-0.5:3.5]
set tics scale 0
unset key
set xtics ('Dimension one' 0, 'Dimension two' 1, 'Dimension three' 2) 
set ytics ('Unit one' 3, 'Unit two' 2, 'Unit three' 1, 'Unit four' 0) 
$cells << EOD
0 3 6
1 3 5.5
2 3 4.582575695
0 2 4.5
1 2 7.5
2 2 5.477225575
0 1 3.5
1 1 2
2 1 6
0 0 3
1 0 4.5
2 0 2
EOD
set bmargin 6
set label 'Scenario: Base · run 1 · threatscore' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $cells using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 noborder, \
     $cells using 1:2:(sprintf('%.2f', $3)) with labels font ',10'
