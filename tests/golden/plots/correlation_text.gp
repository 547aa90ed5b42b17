reset
set encoding utf8
set termoption noenhanced
unset key
set border 0
set tics scale 0
set xrange [-0.5:6.5]
set yrange [-0.5:6.5]
set title 'Correlation of the 7 indicators under Fixture risk index (Spearman''s rho)'
set lmargin 17
set rmargin 2
set bmargin 7
set label 'Scenario: Base · 5 units, latest values · n = 3 to 5 (pairs where both have a value) · n < 10: fragile, read as hints' at screen 0.0100, screen 0.0650 left
set label 'Spearman''s rho of the normalised values and scores the aggregation uses, pairwise complete, as threatscore audit computes it' at screen 0.0100, screen 0.0200 left
set ytics ('1 Ex one' 6, '2 Ex two' 5, '3 Why one' 4, '4 Why two' 3, '5 Zed one' 2, '6 Zed two' 1, '7 Double-u one' 0) font ''
set xtics ('1' 0, '2' 1, '3' 2, '4' 3, '5' 4, '6' 5, '7' 6) font ''
$cells << EOD
1 6 -0.1 -0.10 2236962
2 6 0.0512989176 0.05 2236962
3 6 -0.1 -0.10 2236962
4 6 -1 -1.00 16777215
5 6 0.5 0.50 2236962
6 6 -0.9 -0.90 16777215
0 5 -0.1 -0.10 2236962
2 5 0.4103913408 0.41 2236962
3 5 1 1.00 16777215
4 5 0.5 0.50 2236962
5 5 -0.7 -0.70 16777215
6 5 0.2 0.20 2236962
0 4 0.0512989176 0.05 2236962
1 4 0.4103913408 0.41 2236962
3 4 0.4103913408 0.41 2236962
4 4 0.5 0.50 2236962
5 4 -0.1538967528 -0.15 2236962
6 4 0.2051956704 0.21 2236962
0 3 -0.1 -0.10 2236962
1 3 1 1.00 16777215
2 3 0.4103913408 0.41 2236962
4 3 0.5 0.50 2236962
5 3 -0.7 -0.70 16777215
6 3 0.2 0.20 2236962
0 2 -1 -1.00 16777215
1 2 0.5 0.50 2236962
2 2 0.5 0.50 2236962
3 2 0.5 0.50 2236962
5 2 -0.5 -0.50 2236962
6 2 1 1.00 16777215
0 1 0.5 0.50 2236962
1 1 -0.7 -0.70 16777215
2 1 -0.1538967528 -0.15 2236962
3 1 -0.7 -0.70 16777215
4 1 -0.5 -0.50 2236962
6 1 -0.3 -0.30 2236962
0 0 -0.9 -0.90 16777215
1 0 0.2 0.20 2236962
2 0 0.2051956704 0.21 2236962
3 0 0.2 0.20 2236962
4 0 1 1.00 16777215
5 0 -0.3 -0.30 2236962
EOD
$diagonal << EOD
0 6
1 5
2 4
3 3
4 2
5 1
6 0
EOD
$undefined << EOD
EOD
plot $diagonal using 1:2:('-') with labels, \
     $cells using 1:2:(sprintf('%.2f', $4)) with labels
