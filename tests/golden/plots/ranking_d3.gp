reset
set encoding utf8
set termoption noenhanced
set title 'Ranking by Dimension three'
set xlabel 'unit, from the highest risk (rank 1) down'
set ylabel 'score (scale 0-10)'
set key outside right top vertical Left reverse noautotitle box
set yrange [0:10]
set xrange [-0.6:3.6]
set grid ytics lc rgb '#dddddd'
set style fill solid 0.9 border lc rgb '#333333'
set boxwidth 0.7
set xtics ('Unit three' 0, 'Unit two' 1, 'Unit one' 2, 'Unit four' 3) nomirror
$bars << EOD
0 6 16551257 1
1 5.477225575 16551257 2
2 4.582575695 16703627 3
3 2 9555808 4
EOD
set arrow from graph 0, first 2 to graph 1, first 2 nohead back lw 1.5 dt 2 lc rgb '#91cf60'
set label 'Low ≥ 2' at graph 1, first 2 left offset 0.5,0 front font ',8' textcolor rgb '#577c39'
set arrow from graph 0, first 3.5 to graph 1, first 3.5 nohead back lw 1.5 dt 2 lc rgb '#fee08b'
set label 'Medium ≥ 3.5' at graph 1, first 3.5 left offset 0.5,0 front font ',8' textcolor rgb '#988653'
set arrow from graph 0, first 5 to graph 1, first 5 nohead back lw 1.5 dt 2 lc rgb '#fc8d59'
set label 'High ≥ 5' at graph 1, first 5 left offset 0.5,0 front font ',8' textcolor rgb '#975435'
set arrow from graph 0, first 6.5 to graph 1, first 6.5 nohead back lw 1.5 dt 2 lc rgb '#d73027'
set label 'Very high ≥ 6.5' at graph 1, first 6.5 left offset 0.5,0 front font ',8' textcolor rgb '#811c17'
set bmargin 7
set label 'Dashed lines: class thresholds from the run''s taxonomy file (unchanged since the run).' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Scenario: Shock · run 2 · threatscore' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
set style textbox opaque fillcolor rgb '#ffffff' noborder margins 1,1
plot $bars using 1:2:3 with boxes lc rgb variable notitle, \
     $bars using 1:2:(sprintf('%.2f', $2)) with labels boxed offset 0,0.8 font ',9' notitle, \
     NaN with boxes lc rgb '#1a9850' title 'Very low', \
     NaN with boxes lc rgb '#91cf60' title 'Low', \
     NaN with boxes lc rgb '#fee08b' title 'Medium', \
     NaN with boxes lc rgb '#fc8d59' title 'High', \
     NaN with boxes lc rgb '#d73027' title 'Very high'
