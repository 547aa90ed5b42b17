reset
set encoding utf8
set termoption noenhanced
set title 'Sensitivity of the score at Dimension one: Unit two'
set xlabel 'uncertain factor'
set ylabel 'Sobol'' index (share of the score''s variance)'
set key outside right top vertical Left reverse noautotitle box
set yrange [-0.0818266359:1.084946131]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set boxwidth 0.34
set xzeroaxis lt -1
set xtics ('weights' 0, 'normalise' 1, 'aggregate' 2, 'exclude' 3) nomirror
$indices << EOD
# first order
-0.18 -0.006650111986 -0.0618266359 0.02086280826
0.82 0.4359152631 0.1532367186 0.6843265087
1.82 0.02175950265 -0.03206067386 0.0710758361
2.82 0.3965787017 0.1396526903 0.6621943696


# total order
0.18 0.01385630543 0.00799984737 0.02893161
1.18 0.437435994 0.2656065421 0.6443281618
2.18 0.01617690813 0.007802717306 0.02694779895
3.18 0.4736461003 0.2337233661 0.6840056869


EOD
set bmargin 9
set label 'Scenario: Base · uncertainty run 1 · threatscore' at screen 0.01, screen 0.075 left font ',8' textcolor rgb '#444444'
set label 'S1: share of the variance due to the factor alone; ST: with its interactions. 64 base samples, seed 7.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Whiskers: 95 % bootstrap interval (20 replicates).' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $indices index 0 using 1:2 with boxes fc rgb '#2ca02c' fs solid 1.00 border lc rgb '#333333' title 'S1: first order', \
     $indices index 0 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $indices index 0 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',8' notitle, \
     $indices index 1 using 1:2 with boxes fc rgb '#2ca02c' fs solid 0.35 border lc rgb '#333333' title 'ST: total order', \
     $indices index 1 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $indices index 1 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',8' notitle, \
     keyentry with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' title '95 % bootstrap interval'
