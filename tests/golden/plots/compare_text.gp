reset
set encoding utf8
set termoption noenhanced
set title 'Change against Base (run 1) at Fixture risk index'
set xlabel 'unit, from the reference''s highest risk (rank 1) on the left'
set key outside right top vertical Left reverse noautotitle box
unset key
set tics scale 0
set cblabel 'change against the reference'
set palette defined (0 '#4393c3', 0.5 '#f7f7f7', 1 '#d6604d')
set cbrange [-1.875:1.875]
set xrange [-0.5:3.5]
set yrange [-0.5:0.5]
set xtics ('Unit one' 0, 'Unit two' 1, 'Unit three' 2, 'Unit four' 3) nomirror font ',8'
set ytics ('2 Shock' 0) 
$cells << EOD
0 0 -1.875
1 0 1.5
2 0 0.875
3 0 1.5
EOD
set label '-1.88 1→4 →Medium' at 0, 0 center front font ',9' textcolor rgb '#7f0000'
set label '+1.50 2→1 →Very high' at 1, 0 center front font ',9' textcolor rgb '#7f0000'
set label '+0.88 3→2' at 2, 0 center front font ',9'
set label '+1.50 4→2 →Medium' at 3, 0 center front font ',9' textcolor rgb '#7f0000'
set bmargin 7
set label 'Cells: run minus reference (run 1 Base, scale 0-10). Marks: rank from→to (1 = highest risk), class change.' at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'
set label 'Each scenario''s latest run; per-year runs (NAME@YEAR) only with --run.' at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'
plot $cells using 1:2 with dots notitle
