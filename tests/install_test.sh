#!/bin/sh
# install_test.sh BUILD_DIR -- installs the build into a scratch prefix and
# builds examples/score.c against the installed copy the way the README
# says (pkg-config, and pkg-config --static), then runs both on the shipped
# baseline and compares them with `threatscore score`.
# Extra compiler flags (the sanitizers) come from TS_TEST_CFLAGS.
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(dirname "$(find "$tmp/prefix" -name threatscore.pc | head -n 1)")
[ -n "$pc" ] || { echo "no threatscore.pc installed"; exit 1; }
libdir=$(dirname "$pc")
test -f "$tmp/prefix/include/threatscore.h" || { echo "threatscore.h not installed"; exit 1; }
test -x "$tmp/prefix/bin/threatscore" || { echo "bin/threatscore not installed"; exit 1; }
# No internal header may be installed: outside programs see threatscore.h only.
extra=$(find "$tmp/prefix/include" -name '*.h' ! -name threatscore.h)
[ -z "$extra" ] || { echo "internal headers installed: $extra"; exit 1; }
export PKG_CONFIG_PATH="$pc"
cflags=${TS_TEST_CFLAGS:-}
cc -std=c11 -Wall -Wextra -Werror $cflags examples/score.c $(pkg-config --cflags --libs threatscore) -o "$tmp/score-shared"
cc -std=c11 -Wall -Wextra -Werror $cflags examples/score.c $(pkg-config --cflags --static --libs threatscore) \
  -o "$tmp/score-static"
"$tmp/score-shared" scenarios/baseline.cfg > "$tmp/shared.txt"
"$tmp/score-static" scenarios/baseline.cfg > "$tmp/static.txt"
cmp "$tmp/shared.txt" "$tmp/static.txt"
# The example's ranking is the program's: same units in the same order.
"$tmp/prefix/bin/threatscore" score scenarios/baseline.cfg --format csv |
  awk -F, 'NR > 1 && $3 == "central_asia" && $8 != "" { print $8, $1 }' | sort -n | awk '{ print $2 }' > "$tmp/program.txt"
awk 'NR > 1 { print $2 }' "$tmp/shared.txt" > "$tmp/example.txt"
cmp "$tmp/program.txt" "$tmp/example.txt"
[ "$(wc -l < "$tmp/example.txt")" -eq 5 ] || { echo "expected 5 ranked units"; exit 1; }
echo "install test: 3 passed, 0 failed"
