package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.RegistryBinaries;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM while the daemon patches: the process exits within seconds, the file is the original or
 * the fully patched one (never torn), and no temp file is left behind.
 */
class WatchShutdownTest {

    @TempDir
    static Path shared;

    static NixRoot nix;

    @BeforeAll
    static void buildRoot() {
        nix = NixRoot.create(shared);
    }

    @Test
    void sigtermDuringAPatchLeavesTheOriginalOrThePatchedFileAndNoTempFiles() throws Exception {
        Path node = RegistryBinaries.nodeLinux("x64");
        byte[] original = Files.readAllBytes(node);
        Path tree = Files.createDirectories(nix.host("/home/u/.vscode-server"));
        int[] delaysMillis = {0, 40, 90, 150, 250, 400};
        int patched = 0;
        int untouched = 0;
        for (int round = 0; round < delaysMillis.length; round++) {
            Path staged = nix.host("/home/u/node-" + round);
            Files.copy(node, staged);
            Process daemon = startDaemon(tree, shared.resolve("state" + round));
            Path target = tree.resolve("node-" + round);
            Files.move(staged, target);
            Thread.sleep(delaysMillis[round]);
            long t0 = System.nanoTime();
            daemon.destroy(); // SIGTERM
            assertTrue(daemon.waitFor(10, TimeUnit.SECONDS), "daemon did not stop within 10 s of SIGTERM");
            long stopMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(stopMillis < 6000, "stopped after " + stopMillis + " ms");

            byte[] now = Files.readAllBytes(target);
            if (Arrays.equals(original, now)) {
                untouched++;
            } else {
                assertEquals(0, nix.chroot("/home/u/.vscode-server/node-" + round, "--version").exit(),
                        "a changed file must be the complete patched one (round " + round + ")");
                patched++;
            }
            try (Stream<Path> s = Files.walk(tree)) {
                List<Path> temps = s.filter(p -> p.getFileName().toString().startsWith(".elfmend-")
                        && p.getFileName().toString().endsWith(".tmp")).toList();
                assertEquals(List.of(), temps, "temp files left after SIGTERM in round " + round);
            }
        }
        assertEquals(delaysMillis.length, patched + untouched);
    }

    private Process startDaemon(Path tree, Path state) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.elfmend.cli.Main", "watch",
                "--root", nix.root().toString(), "--tree", tree.toString(),
                "--cache-dir", shared.resolve("cache").toString(), "--state-dir", state.toString(),
                "--gcroots-dir", nix.host("/nix/var/nix/gcroots/elfmend-shutdown").toString(),
                "--settle-ms", "5"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String line;
        while ((line = out.readLine()) != null) {
            if (line.contains("INFO  watching " + tree)) {
                break;
            }
            if (System.nanoTime() > end) {
                break;
            }
        }
        Thread drain = new Thread(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException e) {
                // process ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        assertTrue(p.isAlive(), "daemon exited early");
        return p;
    }
}
