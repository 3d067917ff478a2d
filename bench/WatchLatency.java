import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Drop-to-patched latency of the daemon (bench/watch-latency.sh runs it), over many runs of two kinds:
 * node renamed into a watched tree (as unzip-and-move or a download manager leaves it), timed from the
 * rename until elfmend's atomic replace puts the patched file at that path (its inode changes); and
 * node extracted by GNU tar (which sets times and mode before it closes the file), timed from tar's
 * exit until the file at that path asks for a loader in /nix/store. Then the idle daemon's RSS and CPU
 * use over a quiet minute.
 * Usage: java bench/WatchLatency.java LAUNCHER ROOT TREE NODE RUNS (ELFMEND_JAR, ELFMEND_JAVA_OPTS in the environment)
 */
public class WatchLatency {
    public static void main(String[] a) throws Exception {
        String launcher = a[0];
        Path root = Path.of(a[1]);
        Path tree = Path.of(a[2]);
        Path node = Path.of(a[3]);
        int runs = Integer.parseInt(a[4]);
        // Started the way the units start it: the launcher, with the units' JVM flags in ELFMEND_JAVA_OPTS.
        List<String> command = new ArrayList<>(List.of(launcher, "watch", "--root", root.toString(), "--tree", tree.toString(),
                "--cache-dir", root.resolve("../cache").normalize().toString(),
                "--state-dir", root.resolve("../state").normalize().toString()));
        Process daemon = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(daemon.getInputStream()));
        String line;
        while ((line = out.readLine()) != null && !line.contains("INFO  watching " + tree)) {
            // wait until the tree is watched
        }
        Thread drain = new Thread(() -> { try { out.transferTo(java.io.Writer.nullWriter()); } catch (Exception e) { } });
        drain.setDaemon(true);
        drain.start();
        Path staging = tree.getParent().resolve("staging-node");
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Files.copy(node, staging, StandardCopyOption.REPLACE_EXISTING);
            Thread.sleep(300);
            Path target = tree.resolve("node-" + i);
            long t0 = System.nanoTime();
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            Object before = key(target);
            Object now = before;
            long deadline = t0 + 30_000_000_000L;
            // Looked at every quarter millisecond, not in a busy loop: on a small machine a spinning
            // observer takes a core from the daemon it measures.
            while (Objects.equals(now, before) && System.nanoTime() < deadline) {
                Thread.sleep(java.time.Duration.ofNanos(250_000));
                now = key(target);
            }
            millis.add((System.nanoTime() - t0) / 1e6);
            Files.delete(target);
        }
        report("rename", millis);

        // tar: an archive of node as npm ships it (times from the package), extracted into a directory the
        // daemon already watches.
        Path archive = tree.getParent().resolve("node.tar");
        Path packed = Files.createDirectories(tree.getParent().resolve("tar-src"));
        Files.copy(node, packed.resolve("node"), StandardCopyOption.COPY_ATTRIBUTES);
        run("tar", "-cf", archive.toString(), "-C", packed.toString(), "node");
        List<Double> tarMillis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Path dir = Files.createDirectories(tree.resolve("tar-" + i));
            Thread.sleep(300);
            Process tar = new ProcessBuilder("tar", "-xf", archive.toString(), "-C", dir.toString()).inheritIO().start();
            if (tar.waitFor() != 0) {
                throw new IllegalStateException("tar failed");
            }
            long t0 = System.nanoTime();
            Path target = dir.resolve("node");
            long deadline = t0 + 30_000_000_000L;
            while (!interpreter(target).startsWith("/nix/store/") && System.nanoTime() < deadline) {
                Thread.sleep(java.time.Duration.ofNanos(250_000));
            }
            tarMillis.add((System.nanoTime() - t0) / 1e6);
            Files.delete(target);
            Files.delete(dir);
        }
        report("tar", tarMillis);
        long pid = daemon.pid();
        Thread.sleep(10_000); // settle after the last patch
        long cpu0 = cpuTicks(pid);
        long w0 = System.nanoTime();
        Thread.sleep(60_000);
        long cpu1 = cpuTicks(pid);
        double seconds = (System.nanoTime() - w0) / 1e9;
        System.out.printf("idle_rss_kb=%d idle_cpu_percent=%.2f (over %.0f s)%n", rssKb(pid),
                100.0 * (cpu1 - cpu0) / 100.0 / seconds, seconds);
        daemon.destroy();
        daemon.waitFor();
    }

    static void report(String kind, List<Double> millis) {
        Collections.sort(millis);
        System.out.printf("%s: runs=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n", kind, millis.size(),
                pct(millis, 50), pct(millis, 90), pct(millis, 99), millis.get(millis.size() - 1));
    }

    static void run(String... command) throws Exception {
        if (new ProcessBuilder(command).inheritIO().start().waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }

    /** PT_INTERP of a little-endian ELF64 file, read from its program headers; "" when unreadable. */
    static String interpreter(Path p) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(h, 0);
            long phoff = h.getLong(32);
            int phentsize = h.getShort(54) & 0xffff;
            int phnum = h.getShort(56) & 0xffff;
            java.nio.ByteBuffer ph = java.nio.ByteBuffer.allocate(phentsize).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < phnum; i++) {
                ph.clear();
                ch.read(ph, phoff + (long) i * phentsize);
                if (ph.getInt(0) == 3) { // PT_INTERP
                    java.nio.ByteBuffer s = java.nio.ByteBuffer.allocate((int) Math.min(4096, ph.getLong(32)));
                    ch.read(s, ph.getLong(8));
                    return new String(s.array(), 0, s.position(), java.nio.charset.StandardCharsets.ISO_8859_1);
                }
            }
        } catch (Exception e) {
            // not there yet, or replaced mid-read: not patched as far as this look can tell
        }
        return "";
    }

    static Object key(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (Exception e) {
            return null;
        }
    }

    static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static long rssKb(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, in clock ticks (100/s)
    }
}
