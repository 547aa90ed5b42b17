reset
set encoding utf8
set termoption noenhanced
set title 'Ranking by Fixture risk index'
set xlabel 'unit, from the highest risk (rank 1) down'
set ylabel 'score (scale 0-10)'
set key outside right top vertical Left reverse noautotitle box
set yrange [0:10]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set style fill solid 0.9 border lc rgb '#333333'
set boxwidth 0.7
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror
$bars << EOD
0 5.520643924 16551257 1
1 5.494306394 16551257 2
2 3.75 16703627 3
3 3.125 9555808 4
EOD
set rmargin 20
set label '- Low ≥ 2' at graph 1, first 2 left offset 0.5,0 front font ',8' textcolor rgb '#577c39'
set label '- Medium ≥ 3.5' at graph 1, first 3.5 left offset 0.5,0 front font ',8' textcolor rgb '#988653'
set label '- High ≥ 5' at graph 1, first 5 left offset 0.5,0 front font ',8' textcolor rgb '#975435'
set label '- Very high ≥ 6.5' at graph 1, first 6.5 left offset 0.5,0 front font ',8' textcolor rgb '#811c17'
set bmargin 7
set label 'Right: class thresholds from the run''s taxonomy file (unchanged since the run).' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Scenario: Base · run 1 · threatscore' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
unset key
set label '5.52 High' at 0, 5.520643924 center offset 0,1 front
set label '5.49 High' at 1, 5.494306394 center offset 0,1 front
set label '3.75 Medium' at 2, 3.75 center offset 0,1 front
set label '3.12 Low' at 3, 3.125 center offset 0,1 front
plot $bars using 1:2 with boxes notitle
