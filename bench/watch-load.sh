#!/usr/bin/env bash
# Benchmark (hardening issue): the daemon under load. 10,000 files, 200 of them foreign ELF executables
# and libraries (gcc-built hello/sigmask/libm users, @parcel/watcher's watcher.node and sharp's 18 MB
# libvips from npm, protoc from Maven Central), the rest scripts, maps and images of mixed sizes in
# nested directories, are extracted by tar into a watched tree at once; the daemon runs with the JVM
# flags of systemd/elfmend.service and a 128 MB heap. Prints files per second (all 10,000 files over
# the time from the start of tar until the last ELF file is patched), that time, peak heap (from
# -Xlog:gc) and peak RSS, and whether `elfmend check` afterwards finds nothing to fix. The load is the
# one WatchLoadTest asserts on (same mix, same sizes, same seed).
# Usage: bench/watch-load.sh   (needs: JDK >= 21, gcc, npm, curl, nix-bin, patchelf, tar)
set -euo pipefail
cd "$(dirname "$0")/.."
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
build=${ELFMEND_BUILD_DIR:-target}
[ -f "$build/elfmend.jar" ] || ./mvnw -B -q package -DskipTests -Delfmend.buildDir="$build"
jar=$(cd "$build" && pwd)/elfmend.jar
cache=.test-cache/bench
mkdir -p "$cache/npm"
fetch() { # name version -> extracted dir
  local dir="$cache/npm/${1//\//+}@$2"
  if [ ! -d "$dir/package" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz)
  fi
  echo "$dir/package"
}
watcher=$(fetch @parcel/watcher-linux-x64-glibc 2.6.0)/watcher.node
libvips=$(ls "$(fetch @img/sharp-libvips-linux-x64 1.3.4)"/lib/libvips-cpp.so.*)
protoc="$cache/protoc-3.21.12-linux-x86_64.exe"
if [ ! -f "$protoc" ]; then
  url=https://repo.maven.apache.org/maven2/com/google/protobuf/protoc/3.21.12/protoc-3.21.12-linux-x86_64.exe
  curl -fsSL -o "$protoc.part" "$url"
  [ "$(sha1sum < "$protoc.part" | cut -d' ' -f1)" = "$(curl -fsSL "$url.sha1" | cut -d' ' -f1)" ]
  chmod +x "$protoc.part" && mv "$protoc.part" "$protoc"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-loadbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export NIX_CONFIG='build-users-group ='
root="$work/root"
mkdir -p "$work/pkgs/glibc-2.36/lib" "$work/pkgs/gcc-12-lib/lib" "$root/home/u/.vscode-server"
cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libdl.so.2,libpthread.so.0,librt.so.1,libresolv.so.2} \
  "$work/pkgs/glibc-2.36/lib/"
glibc=$(nix-store --store "$root" --add "$work/pkgs/glibc-2.36" 2>/dev/null | tail -n 1)
cp -L /usr/lib/x86_64-linux-gnu/{libstdc++.so.6,libgcc_s.so.1} "$work/pkgs/gcc-12-lib/lib/"
patchelf --set-rpath "\$ORIGIN:$glibc/lib" "$work/pkgs/gcc-12-lib/lib/"*
nix-store --store "$root" --add "$work/pkgs/gcc-12-lib" >/dev/null 2>&1
mkdir -p "$work/gcc"
gcc -fPIE -pie -o "$work/gcc/hello" src/test/c/hello.c
gcc -fno-pie -no-pie -o "$work/gcc/hello-nopie" src/test/c/hello.c
gcc -o "$work/gcc/sigmask" src/test/c/sigmask.c
gcc -shared -fPIC -Wl,-soname,libgreetm.so.1 -o "$work/gcc/libgreetm.so.1" src/test/c/greet.c -Wl,--no-as-needed -lm

# The flags of systemd/elfmend.service (ELFMEND_JAVA_OPTS), read from the unit, with its -Xmx raised to 128m.
read -r -a unit <<< "$(sed -n 's/^Environment="ELFMEND_JAVA_OPTS=\(.*\)"$/\1/p' systemd/elfmend.service)"
flags=()
for f in "${unit[@]}"; do [[ $f == -Xmx* ]] || flags+=("$f"); done
flags+=(-Xmx128m --enable-native-access=ALL-UNNAMED "-Xlog:gc:file=$work/gc.log")

cat > "$work/WatchLoad.java" <<'JAVA'
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.regex.*;

/** Args: JAR ROOT WORK KIND=FILE... -- DAEMON-JVM-FLAGS... (kinds in the order and numbers of WatchLoadTest). */
public class WatchLoad {
    static final int FILES = 10_000, ELF = 200;
    static final String[][] MIX = {{"hello", "40"}, {"hello-nopie", "40"}, {"sigmask", "30"},
            {"libgreetm.so.1", "40"}, {"watcher.node", "30"}, {"protoc", "15"}, {"libvips", "5"}};

    public static void main(String[] a) throws Exception {
        String jar = a[0];
        Path root = Path.of(a[1]), work = Path.of(a[2]), tree = root.resolve("home/u/.vscode-server");
        Map<String, Path> kinds = new HashMap<>();
        List<String> flags = new ArrayList<>();
        int i = 3;
        for (; !a[i].equals("--"); i++) {
            kinds.put(a[i].substring(0, a[i].indexOf('=')), Path.of(a[i].substring(a[i].indexOf('=') + 1)));
        }
        flags.addAll(Arrays.asList(a).subList(i + 1, a.length));
        Path drop = work.resolve("drop");
        Set<String> elves = writeDrop(drop, kinds);
        run(List.of("tar", "-cf", work.resolve("drop.tar").toString(), "-C", drop.toString(), "."));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(flags);
        cmd.addAll(List.of("-jar", jar, "watch", "--root", root.toString(), "--tree", tree.toString(),
                "--cache-dir", work.resolve("cache").toString(), "--state-dir", work.resolve("state").toString()));
        Process daemon = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Queue<String> log = new ConcurrentLinkedQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(daemon.getInputStream()))) {
                for (String l; (l = in.readLine()) != null; ) log.add(l);
            } catch (IOException e) { }
        });
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (log.stream().noneMatch(l -> l.contains("INFO  watching " + tree))) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) throw new IllegalStateException("daemon did not start: " + log);
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        run(List.of("tar", "-xf", work.resolve("drop.tar").toString(), "-C", tree.toString()));
        long extracted = System.nanoTime();
        String prefix = "patched " + tree + "/";
        deadline = t0 + 600_000_000_000L;
        long patched = 0;
        while ((patched = log.stream().filter(l -> l.contains(prefix))
                .map(l -> l.substring(l.indexOf(prefix)).split("[: ]")[1]).distinct().count()) < ELF) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                System.out.println("FAILED: " + patched + " of " + ELF + " patched; daemon "
                        + (daemon.isAlive() ? "alive" : "exited " + daemon.exitValue()));
                break;
            }
            Thread.sleep(10);
        }
        long done = System.nanoTime();
        long rss = statusKb(daemon.pid(), "VmHWM:");
        Process check = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-jar", jar, "check", "--root", root.toString(), "--cache-dir", work.resolve("cache").toString(),
                tree.toString()).redirectErrorStream(true).start();
        String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int checkExit = check.waitFor();
        daemon.destroy();
        int exit = daemon.waitFor();
        reader.join(5000);
        long[] heap = heapPeak(work.resolve("gc.log"));
        long warnings = log.stream().filter(l -> l.contains(" WARN ")).count();
        String summary = checkOut.lines().filter(l -> l.contains(" ELF files: ")).findFirst().orElse("?");
        double s = (done - t0) / 1e9;
        System.out.printf("%-34s %s%n", "files (ELF):", FILES + " (" + ELF + ")");
        System.out.printf("%-34s %.2f s%n", "tar extraction:", (extracted - t0) / 1e9);
        System.out.printf("%-34s %.2f s (%d of %d)%n", "all ELF patched after tar started:", s, patched, ELF);
        System.out.printf("%-34s %.0f%n", "files per second:", FILES / s);
        System.out.printf("%-34s %.1f MB used before a GC, %.1f MB committed, %d GCs (-Xmx128m)%n",
                "heap peak:", heap[0] / 1048576.0, heap[1] / 1048576.0, heap[2]);
        System.out.printf("%-34s %.1f MB%n", "peak RSS:", rss / 1024.0);
        System.out.printf("%-34s exit %d: %s%n", "check afterwards:", checkExit, summary);
        System.out.printf("%-34s %d (exit on SIGTERM %d)%n", "daemon warnings:", warnings, exit);
        log.stream().filter(l -> l.contains(" WARN ") && !l.contains(" patched ")).limit(3)
                .forEach(l -> System.out.println("  " + l));
        if (patched < ELF || checkExit != 0) System.exit(1);
    }

    static Set<String> writeDrop(Path drop, Map<String, Path> kinds) throws IOException {
        Set<String> elves = new TreeSet<>();
        int n = 0;
        for (String[] m : MIX) {
            Path source = kinds.get(m[0]);
            for (int i = 0; i < Integer.parseInt(m[1]); i++, n++) {
                String file = "extensions/ext-" + n % 40 + "/native-" + n + "/" + (m[0].equals("libvips")
                        ? source.getFileName().toString() : m[0]);
                Path target = drop.resolve(file);
                Files.createDirectories(target.getParent());
                Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                elves.add(file);
            }
        }
        Random random = new Random(2026);
        String[] suffixes = {".js", ".js", ".json", ".md", ".map", ".png", ".wasm", ".d.ts"};
        byte[] text = "export function f(a, b) { return a + b; } // elfmend load test\n".repeat(8192)
                .getBytes(StandardCharsets.US_ASCII);
        for (int j = 0; j < FILES - ELF; j++) {
            String suffix = suffixes[j % suffixes.length];
            Path target = drop.resolve("extensions/ext-" + j % 40 + "/node_modules/pkg-" + (j / 40) % 25 + "/dist/f"
                    + j + suffix);
            Files.createDirectories(target.getParent());
            int roll = random.nextInt(100);
            int size = roll < 70 ? random.nextInt(4096) : roll < 97 ? 4096 + random.nextInt(28 * 1024)
                    : 32 * 1024 + random.nextInt(224 * 1024);
            try (OutputStream out = Files.newOutputStream(target)) {
                if (suffix.equals(".png") || suffix.equals(".wasm")) {
                    byte[] bytes = new byte[size];
                    random.nextBytes(bytes);
                    if (size > 0) bytes[0] = suffix.equals(".png") ? (byte) 0x89 : 0;
                    out.write(bytes);
                } else {
                    out.write(text, 0, size);
                }
            }
        }
        return elves;
    }

    static long[] heapPeak(Path gcLog) throws IOException {
        Pattern p = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");
        long used = 0, committed = 0, n = 0;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                n++;
                used = Math.max(used, bytes(m.group(1), m.group(2)));
                committed = Math.max(committed, bytes(m.group(5), m.group(6)));
            }
        }
        return new long[] {used, committed, n};
    }

    static long bytes(String n, String unit) {
        return Long.parseLong(n) << (unit.equals("K") ? 10 : unit.equals("M") ? 20 : 30);
    }

    static long statusKb(long pid, String field) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            if (l.startsWith(field)) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        return -1;
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) throw new IllegalStateException("failed: " + cmd);
    }
}
JAVA

echo "daemon flags: ${flags[*]}; $(date -u +%Y-%m-%d)"
"$java" "$work/WatchLoad.java" "$jar" "$root" "$work" hello="$work/gcc/hello" hello-nopie="$work/gcc/hello-nopie" \
  sigmask="$work/gcc/sigmask" libgreetm.so.1="$work/gcc/libgreetm.so.1" watcher.node="$watcher" \
  protoc="$protoc" libvips="$libvips" -- "${flags[@]}"
