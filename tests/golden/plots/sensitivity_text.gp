reset
set encoding utf8
set termoption noenhanced
set title 'Sensitivity of the score at Fixture risk index, per unit'
set xlabel 'uncertain factor'
set key outside right top vertical Left reverse noautotitle box
unset key
set tics scale 0
set palette defined (0 '#ffffff', 1 '#6a3d9a')
set cbrange [0:1]
set cblabel 'ST: total-order index'
set xrange [-0.5:3.5]
set yrange [-0.5:3.5]
set xtics ('weights' 0, 'normalise' 1, 'aggregate' 2, 'exclude' 3) 
set ytics ('Unit one' 3, 'Unit two' 2, 'Unit three' 1, 'Unit four' 0) 
$cells << EOD
0 3 0.03465742339 0.01895213498
1 3 0.2462431483 0.08654167291
2 3 0.1255397595 0.09100604017
3 3 0.4722474121 0.4677832179
0 2 0.02048168609 -0.01445667712
1 2 0.7086536062 0.6736365583
2 2 0.03876489362 0.03688114062
3 2 0.2786328279 0.2340003309
0 1 0.03434096352 -0.03985367775
1 1 0.3301089085 0.1843586174
2 1 0.2785622319 0.2107781124
3 1 0.3193339253 0.3126812016
0 0 0.02853989814 0.09387202095
1 0 0.1539216139 0.1795223413
2 0 0.2320027309 0.2213084575
3 0 0.5227069111 0.4584379411
EOD
set bmargin 7
set label 'Scenario: Base · uncertainty run 1 · threatscore' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'S1: share of the variance due to the factor alone; ST: with its interactions. 64 base samples, seed 7.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $cells using 1:2:(sprintf('S1 %.2f  ST %.2f', abs($4) < 0.005 ? 0 : $4, abs($3) < 0.005 ? 0 : $3)) with labels
