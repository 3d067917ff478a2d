#!/usr/bin/env bash
# Benchmark (hardening issue): the daemon under load. 10,000 files, 200 of them foreign ELF executables
# and libraries (gcc-built hello/sigmask/libm users, @parcel/watcher's watcher.node and sharp's 18 MB
# libvips from npm, protoc from Maven Central), the rest scripts, maps and images of mixed sizes in
# nested directories, are extracted by tar into a watched tree at once; the daemon runs with the JVM
# flags of systemd/elfmend.service and a 128 MB heap. Prints files per second (all 10,000 files over
# the time from the start of tar until the last ELF file is patched), that time, peak heap (from
# -Xlog:gc) and peak RSS, and whether `elfmend check` afterwards finds nothing to fix. The load is the
# one WatchLoadTest asserts on: both write it with bench/LoadDrop.java.
# Usage: bench/watch-load.sh   (needs: JDK >= 21, gcc, npm, curl, nix-bin, patchelf, tar)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
watcher=$(npm_package @parcel/watcher-linux-x64-glibc 2.6.0)/watcher.node
libvips=$(ls "$(npm_package @img/sharp-libvips-linux-x64 1.3.4)"/lib/libvips-cpp.so.*)
protoc="$cache/protoc-3.21.12-linux-x86_64.exe"
if [ ! -f "$protoc" ]; then
  url=https://repo.maven.apache.org/maven2/com/google/protobuf/protoc/3.21.12/protoc-3.21.12-linux-x86_64.exe
  curl -fsSL -o "$protoc.part" "$url"
  [ "$(sha1sum < "$protoc.part" | cut -d' ' -f1)" = "$(curl -fsSL "$url.sha1" | cut -d' ' -f1)" ]
  chmod +x "$protoc.part" && mv "$protoc.part" "$protoc"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/elfmend-loadbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
nix_root "$work" "$root"
mkdir -p "$root/home/u/.vscode-server"
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

/** Args: JAR ROOT WORK ELF-COUNT -- DAEMON-JVM-FLAGS... (the drop, written by bench/LoadDrop.java, in WORK/drop). */
public class WatchLoad {
    static final int FILES = 10_000;

    public static void main(String[] a) throws Exception {
        String jar = a[0];
        Path root = Path.of(a[1]), work = Path.of(a[2]), tree = root.resolve("home/u/.vscode-server");
        int elves = Integer.parseInt(a[3]);
        List<String> flags = new ArrayList<>(Arrays.asList(a).subList(5, a.length));
        Path drop = work.resolve("drop");
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
                .map(l -> l.substring(l.indexOf(prefix)).split("[: ]")[1]).distinct().count()) < elves) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                System.out.println("FAILED: " + patched + " of " + elves + " patched; daemon "
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
        System.out.printf("%-34s %s%n", "files (ELF):", FILES + " (" + elves + ")");
        System.out.printf("%-34s %.2f s%n", "tar extraction:", (extracted - t0) / 1e9);
        System.out.printf("%-34s %.2f s (%d of %d)%n", "all ELF patched after tar started:", s, patched, elves);
        System.out.printf("%-34s %.0f%n", "files per second:", FILES / s);
        System.out.printf("%-34s %.1f MB used before a GC, %.1f MB committed, %d GCs (-Xmx128m)%n",
                "heap peak:", heap[0] / 1048576.0, heap[1] / 1048576.0, heap[2]);
        System.out.printf("%-34s %.1f MB%n", "peak RSS:", rss / 1024.0);
        System.out.printf("%-34s exit %d: %s%n", "check afterwards:", checkExit, summary);
        System.out.printf("%-34s %d (exit on SIGTERM %d)%n", "daemon warnings:", warnings, exit);
        log.stream().filter(l -> l.contains(" WARN ") && !l.contains(" patched ")).limit(3)
                .forEach(l -> System.out.println("  " + l));
        if (patched < elves || checkExit != 0) System.exit(1);
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

elves=$("$java" bench/LoadDrop.java "$work/drop" hello="$work/gcc/hello" hello-nopie="$work/gcc/hello-nopie" \
  sigmask="$work/gcc/sigmask" libgreetm.so.1="$work/gcc/libgreetm.so.1" watcher.node="$watcher" \
  protoc="$protoc" libvips="$libvips" | wc -l)
echo "daemon flags: ${flags[*]}; $(date -u +%Y-%m-%d)"
"$java" "$work/WatchLoad.java" "$jar" "$root" "$work" "$elves" -- "${flags[@]}"
