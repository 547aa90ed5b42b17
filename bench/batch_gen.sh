#!/bin/sh
# batch_gen.sh -- generates the batch benchmark's inputs (no dependencies
# beyond awk):
#   batch_gen.sh scenarios DIR N      N scenarios (5 countries x 40 indicators,
#                                     one shared taxonomy) in DIR
#   batch_gen.sh csv DIR UNITS INDS   DIR/wide.cfg (INDS indicators in groups
#                                     of 50) and DIR/wide.csv (UNITS rows)
set -eu
kind=$1 dir=$2
mkdir -p "$dir"
case $kind in
scenarios)
  n=$3
  awk -v n="$n" -v dir="$dir" 'BEGIN {
    tax = dir "/bench_taxonomy.cfg"
    print "id = \"bench\"; name = \"Benchmark index\";" > tax
    print "scale = { min = 0.0; max = 10.0; };" > tax
    print "classes = ( { name = \"Low\"; }, { name = \"Medium\"; min = 3.5; }, { name = \"High\"; min = 6.5; } );" > tax
    print "children = (" > tax
    for (d = 0; d < 5; d++) {
      printf "  { id = \"dim%d\"; name = \"Dimension %d\"; children = (\n", d, d > tax
      for (i = 0; i < 8; i++) {
        k = d * 8 + i
        printf "    { id = \"ind%02d\"; name = \"Indicator %d\"; direction = \"%s\"; goalposts = [0.0, 100.0]; source = \"generated\"; }%s\n", k, k, (k % 7 == 3) ? "protective" : "risk", i < 7 ? "," : "" > tax
      }
      printf "  ) }%s\n", d < 4 ? "," : "" > tax
    }
    print ");" > tax
    close(tax)
    srand(42)
    split("KAZ KGZ TJK TKM UZB", units, " ")
    for (s = 0; s < n; s++) {
      f = sprintf("%s/scenario_%04d.cfg", dir, s)
      printf "name = \"Generated %04d\";\ntaxonomy = \"bench_taxonomy.cfg\";\n", s > f
      print "units = ( { id = \"KAZ\"; name = \"Kazakhstan\"; }, { id = \"KGZ\"; name = \"Kyrgyzstan\"; }, { id = \"TJK\"; name = \"Tajikistan\"; }, { id = \"TKM\"; name = \"Turkmenistan\"; }, { id = \"UZB\"; name = \"Uzbekistan\"; } );" > f
      print "data = (" > f
      for (k = 0; k < 40; k++) {
        printf "  { indicator = \"ind%02d\"; year = 2024; source = \"generated\"; values = {", k > f
        for (u = 1; u <= 5; u++) printf " %s = %.3f;", units[u], rand() * 100 > f
        printf " }; }%s\n", k < 39 ? "," : "" > f
      }
      print ");" > f
      if (s % 3 == 1) printf "weights = { dim%d = 2.0; };\n", s % 5 > f
      close(f)
    }
  }'
  ;;
csv)
  units=$3 inds=$4
  awk -v units="$units" -v inds="$inds" -v dir="$dir" 'BEGIN {
    tax = dir "/wide.cfg"
    groups = int((inds + 49) / 50)
    print "id = \"wide\"; name = \"Wide benchmark\";" > tax
    print "scale = { min = 0.0; max = 100.0; };" > tax
    print "children = (" > tax
    for (g = 0; g < groups; g++) {
      printf "  { id = \"g%d\"; children = (\n", g > tax
      last = (g + 1) * 50 < inds ? (g + 1) * 50 : inds
      for (i = g * 50; i < last; i++)
        printf "    { id = \"i%d\"; direction = \"risk\"; goalposts = [0.0, 1000.0]; }%s\n", i, i < last - 1 ? "," : "" > tax
      printf "  ) }%s\n", g < groups - 1 ? "," : "" > tax
    }
    print ");" > tax
    close(tax)
    csv = dir "/wide.csv"
    printf "unit" > csv
    for (i = 0; i < inds; i++) printf ",i%d", i > csv
    printf "\n" > csv
    srand(7)
    for (u = 0; u < units; u++) {
      printf "U%06d", u > csv
      for (i = 0; i < inds; i++) printf ",%.4f", rand() * 1000 > csv
      printf "\n" > csv
    }
  }'
  ;;
*) echo "usage: batch_gen.sh scenarios DIR N | csv DIR UNITS INDICATORS" >&2; exit 2 ;;
esac
