# Sourced by the bench scripts (from the repository root): the JDK to run, elfmend's jar (built when
# missing; ELFMEND_BUILD_DIR picks another build directory), and downloads cached in .test-cache/bench.
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
build=${ELFMEND_BUILD_DIR:-target}
[ -f "$build/elfmend.jar" ] || ./mvnw -B -q package -DskipTests -Delfmend.buildDir="$build"
jar=$(cd "$build" && pwd)/elfmend.jar
cache=.test-cache/bench
mkdir -p "$cache/npm"

# npm_package NAME VERSION -> the extracted package directory
npm_package() {
  local dir="$cache/npm/${1//\//+}@$2"
  if [ ! -d "$dir/package" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz)
  fi
  echo "$dir/package"
}

# nix_root WORK ROOT: a NixOS-like ROOT whose real Nix store (nix-bin) holds glibc-2.36 and gcc-12-lib,
# made from the host's glibc and gcc runtime; sets $glibc and $gcc_lib to their store paths.
nix_root() {
  local work=$1 root=$2
  export NIX_CONFIG='build-users-group ='
  mkdir -p "$work/pkgs/glibc-2.36/lib" "$work/pkgs/gcc-12-lib/lib" "$root"
  cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libdl.so.2,libpthread.so.0,librt.so.1,libresolv.so.2} \
    "$work/pkgs/glibc-2.36/lib/"
  glibc=$(nix-store --store "$root" --add "$work/pkgs/glibc-2.36" 2>/dev/null | tail -n 1)
  cp -L /usr/lib/x86_64-linux-gnu/{libstdc++.so.6,libgcc_s.so.1} "$work/pkgs/gcc-12-lib/lib/"
  patchelf --set-rpath "\$ORIGIN:$glibc/lib" "$work/pkgs/gcc-12-lib/lib/"*
  gcc_lib=$(nix-store --store "$root" --add "$work/pkgs/gcc-12-lib" 2>/dev/null | tail -n 1)
}
