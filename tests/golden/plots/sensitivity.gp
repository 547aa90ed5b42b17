reset
set encoding utf8
set termoption noenhanced
set title 'Sensitivity of the score at Fixture risk index: mean over 4 units'
set xlabel 'uncertain factor'
set ylabel 'Sobol'' index (share of the score''s variance)'
set key outside right top vertical Left reverse noautotitle box
set yrange [-0.05985367775:1.083188294]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set boxwidth 0.34
set xzeroaxis lt -1
set xtics ('weights' 0, 'normalise' 1, 'aggregate' 2, 'exclude' 3) nomirror
$indices << EOD
# first order
-0.18 0.01462845027 -0.03985367775 0.09387202095
0.82 0.2810147975 0.08654167291 0.6736365583
1.82 0.1399934377 0.03688114062 0.2213084575
2.82 0.3682256729 0.2340003309 0.4677832179


# total order
0.18 0.02950499278 0.02048168609 0.03465742339
1.18 0.3597318192 0.1539216139 0.7086536062
2.18 0.168717404 0.03876489362 0.2785622319
3.18 0.3982302691 0.2786328279 0.5227069111


EOD
set bmargin 9
set label 'Scenario: Base · uncertainty run 1 · threatscore' at screen 0.01, screen 0.075 left font ',8' textcolor rgb '#444444'
set label 'S1: share of the variance due to the factor alone; ST: with its interactions. 64 base samples, seed 7.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Bars: mean over the 4 units with indices; whiskers: lowest and highest unit. Give --unit for one unit''s bootstrap intervals.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $indices index 0 using 1:2 with boxes fc rgb '#555555' fs solid 1.00 border lc rgb '#333333' title 'S1: first order', \
     $indices index 0 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $indices index 0 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', $2)) with labels offset 0,0.6 font ',8' notitle, \
     $indices index 1 using 1:2 with boxes fc rgb '#555555' fs solid 0.35 border lc rgb '#333333' title 'ST: total order', \
     $indices index 1 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $indices index 1 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', $2)) with labels offset 0,0.6 font ',8' notitle, \
     keyentry with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' title 'lowest to highest unit'
