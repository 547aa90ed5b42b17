reset
set encoding utf8
set termoption noenhanced
unset key
set border 0
set tics scale 0
set xrange [-0.5:3.5]
set yrange [-0.5:3.5]
set label 'Correlation within Fixture risk index: its 4 children (Pearson''s r)' at screen 0.5000, screen 0.9662 center font ',13'
set label 'Scenario: Base · 5 units, latest values · n = 5 · n < 10: fragile, read as hints' at screen 0.5000, screen 0.9354 center font ',10' textcolor rgb '#333333'
set lmargin at screen 0.2950
set rmargin at screen 0.7274
set bmargin at screen 0.1791
set tmargin at screen 0.9108
set palette defined (-1 '#2166ac', -0.667 '#67a9cf', -0.333 '#d1e5f0', 0 '#ffffff', 0.333 '#fddbc7', 0.667 '#ef8a62', 1 '#b2182b')
set cbrange [-1:1]
set cbtics -1, 0.5, 1 scale 0.5
set cblabel 'Pearson''s r'
set colorbox vertical user origin screen 0.7474, screen 0.1791 size screen 0.0164, screen 0.7317
set label 'Pearson''s r of the normalised values and scores the aggregation uses, pairwise complete, as threatscore audit computes it; colours fixed from -1 to 1' at screen 0.0100, screen 0.0185 left font ',8' textcolor rgb '#444444'
set ytics ('Dimension one' 3, 'Dimension two' 2, 'Dimension three' 1, 'Dimension four' 0) font ',10'
set xtics ('Dimension one' 0, 'Dimension two' 1, 'Dimension three' 2, 'Dimension four' 3) rotate by 45 right font ',10'
$cells << EOD
1 3 0.5135470799 0.51 2236962
2 3 0.1541330672 0.15 2236962
3 3 -0.6079346246 -0.61 16777215
0 2 0.5135470799 0.51 2236962
2 2 -0.09611684713 -0.10 2236962
3 2 0.297363568 0.30 2236962
0 1 0.1541330672 0.15 2236962
1 1 -0.09611684713 -0.10 2236962
3 1 0.0407991034 0.04 2236962
0 0 -0.6079346246 -0.61 16777215
1 0 0.297363568 0.30 2236962
2 0 0.0407991034 0.04 2236962
EOD
$diagonal << EOD
0 3
1 2
2 1
3 0
EOD
$undefined << EOD
EOD
plot $diagonal using 1:2:(0.5):(0.5) with boxxyerror fc rgb '#ebebeb' fs solid 1.0 border lc rgb '#ffffff', \
     $cells using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 border lc rgb '#ffffff', \
     $cells using 1:2:(sprintf('%.2f', $4)):5 with labels textcolor rgb variable font ',10'
