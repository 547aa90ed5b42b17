set multiplot layout 2,2 title 'Sensitivity of the score at Fixture risk index, per unit (dark: S1 first order; light: ST total order)' margins screen 0.07,0.98,0.146,0.900 spacing screen 0.05,0.110
set label 'Scenario: Base · uncertainty run 1 · threatscore' at screen 0.01, screen 0.075 left font ',8' textcolor rgb '#444444'
set label 'S1: share of the variance due to the factor alone; ST: with its interactions. 64 base samples, seed 7.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Whiskers: 95 % bootstrap interval (20 replicates). Give --unit for one unit alone.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
unset key
set grid ytics lc rgb '#e5e5e5'
set boxwidth 0.34
set xzeroaxis lt -1
set ytics nomirror font ',8'
set yrange [-0.1259899158:1.14686902]
set xrange [-0.6:3.6]
set xtics ('weights' 0, 'normalise' 1, 'aggregate' 2, 'exclude' 3) nomirror font ',8'
set title 'Unit one'
$unit0 << EOD
# first order
-0.18 0.01895213498 -0.0539322166 0.07394990647
0.82 0.08654167291 -0.02601800583 0.3101189405
1.82 0.09100604017 0.03099165015 0.1727228882
2.82 0.4677832179 0.2681543657 0.7045372574


# total order
0.18 0.03465742339 0.02244779736 0.05747803994
1.18 0.2462431483 0.1701328375 0.3016218892
2.18 0.1255397595 0.08313957051 0.1633418246
3.18 0.4722474121 0.3349381278 0.603486325


EOD
plot $unit0 index 0 using 1:2 with boxes fc rgb '#d62728' fs solid 1.00 border lc rgb '#333333' notitle, \
     $unit0 index 0 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit0 index 0 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle, \
     $unit0 index 1 using 1:2 with boxes fc rgb '#d62728' fs solid 0.35 border lc rgb '#333333' notitle, \
     $unit0 index 1 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit0 index 1 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle
unset label
set title 'Unit two'
$unit1 << EOD
# first order
-0.18 -0.01445667712 -0.05530081232 0.0161938874
0.82 0.6736365583 0.2805974219 1.012634134
1.82 0.03688114062 -0.04646761379 0.1134850519
2.82 0.2340003309 0.06869627076 0.488947074


# total order
0.18 0.02048168609 0.01393338095 0.02820678781
1.18 0.7086536062 0.5379899502 0.8687923912
2.18 0.03876489362 0.02403324883 0.05857638024
3.18 0.2786328279 0.1749921985 0.375456346


EOD
plot $unit1 index 0 using 1:2 with boxes fc rgb '#2ca02c' fs solid 1.00 border lc rgb '#333333' notitle, \
     $unit1 index 0 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit1 index 0 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle, \
     $unit1 index 1 using 1:2 with boxes fc rgb '#2ca02c' fs solid 0.35 border lc rgb '#333333' notitle, \
     $unit1 index 1 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit1 index 1 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle
unset label
set title 'Unit three'
$unit2 << EOD
# first order
-0.18 -0.03985367775 -0.1059899158 -0.008264483288
0.82 0.1843586174 0.0553366687 0.370469168
1.82 0.2107781124 0.1226727326 0.3851319926
2.82 0.3126812016 0.1196995014 0.4791124314


# total order
0.18 0.03434096352 0.02138433948 0.05222088755
1.18 0.3301089085 0.252823806 0.4418686134
2.18 0.2785622319 0.1667820123 0.4379973716
3.18 0.3193339253 0.1820897091 0.4350305441


EOD
plot $unit2 index 0 using 1:2 with boxes fc rgb '#ff7f0e' fs solid 1.00 border lc rgb '#333333' notitle, \
     $unit2 index 0 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit2 index 0 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle, \
     $unit2 index 1 using 1:2 with boxes fc rgb '#ff7f0e' fs solid 0.35 border lc rgb '#333333' notitle, \
     $unit2 index 1 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit2 index 1 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle
unset label
set title 'Unit four'
$unit3 << EOD
# first order
-0.18 0.09387202095 0.02057034073 0.1856859763
0.82 0.1795223413 0.07414754111 0.3329850068
1.82 0.2213084575 0.02040196983 0.3949589547
2.82 0.4584379411 0.2975109844 0.6040709042


# total order
0.18 0.02853989814 0.01422642945 0.04573636772
1.18 0.1539216139 0.103262857 0.2193089727
2.18 0.2320027309 0.1336232025 0.336116139
3.18 0.5227069111 0.3359894951 0.6436583278


EOD
plot $unit3 index 0 using 1:2 with boxes fc rgb '#1f77b4' fs solid 1.00 border lc rgb '#333333' notitle, \
     $unit3 index 0 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit3 index 0 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle, \
     $unit3 index 1 using 1:2 with boxes fc rgb '#1f77b4' fs solid 0.35 border lc rgb '#333333' notitle, \
     $unit3 index 1 using 1:3:(0):($4 - $3) with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' notitle, \
     $unit3 index 1 using 1:($4 > $2 ? $4 : $2):(sprintf('%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 font ',7' notitle
unset label
unset multiplot
