#!/usr/bin/env bash
# Benchmark (issue 4): index a synthetic store of 20,000 store paths, cold and warm.
# A quarter of the paths carry lib/ with three shared objects (hard links of one small library, so
# the store costs little disk but every file is opened and parsed as in a real store).
# Cold: no cache. Warm: cache present, store unchanged. Times are what `elfmend index` reports for
# its own work (the JVM start is printed separately).
# Usage: bench/index-store.sh [PATHS]   (needs: JDK >= 21, gcc)
set -euo pipefail
cd "$(dirname "$0")/.."
paths=${1:-20000}
. bench/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-indexbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
store="$work/root/nix/store"
mkdir -p "$store"
printf 'int f(void){return 1;}\n' > "$work/f.c"
gcc -shared -fPIC -Wl,-soname,libsynthetic.so.1 -Wl,--version-script=<(printf 'SYN_1.0 { global: f; local: *; };\n') \
  -o "$work/libsynthetic.so.1" "$work/f.c"
alphabet=0123456789abcdfghijklmnpqrsvwxyz
python3 - "$store" "$paths" "$work/libsynthetic.so.1" <<'PY'
import os, sys, random
store, n, lib = sys.argv[1], int(sys.argv[2]), sys.argv[3]
alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
rnd = random.Random(42)
for i in range(n):
    h = "".join(rnd.choice(alphabet) for _ in range(32))
    d = os.path.join(store, f"{h}-pkg{i}-1.{i % 97}")
    os.makedirs(d)
    if i % 4 == 0:
        os.makedirs(os.path.join(d, "lib"))
        for k in range(3):
            os.link(lib, os.path.join(d, "lib", f"libp{i}-{k}.so.1"))
    else:
        with open(os.path.join(d, "README"), "w") as f:
            f.write("x\n")
PY
run() {
  local start end
  start=$(date +%s%N)
  out=$("$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -jar "$jar" index --json --root "$work/root" --cache-dir "$work/cache")
  end=$(date +%s%N)
  echo "$1: $(echo "$out" | tr -d '\n ' | sed 's/.*"storePaths":\([0-9]*\).*"libraries":\([0-9]*\).*"millis":\([0-9]*\).*/\1 store paths, \2 libraries, index work \3 ms/'), wall $(( (end - start) / 1000000 )) ms incl. JVM start"
}
echo "synthetic store: $paths paths under $store; $(date -u +%Y-%m-%d)"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
run "cold (no cache, page cache dropped if permitted)"
for i in 1 2 3; do run "warm $i (cache present, store unchanged)"; done
touch "$store"
run "after a change (store directory touched: relist, no path rescanned)"
