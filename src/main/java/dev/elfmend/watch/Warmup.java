package dev.elfmend.watch;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfEdits;
import dev.elfmend.elf.ElfRewriter;
import dev.elfmend.fixup.ElfPatcher;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.fixup.OpenElf;
import dev.elfmend.fixup.Writers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Runs the patch pipeline once when the daemon starts, on the JVM's own files: a copy of its
 * {@code bin/java} (a few kilobytes) is patched in a private temp directory and deleted, the copy is
 * planned by the daemon's fixer without writing, and its {@code lib/server/libjvm.so} (70,000 symbols)
 * is planned three times, read-only. The classes a patch needs get loaded, the native file calls bound
 * and the hot loops compiled before the first foreign file arrives: a devcontainer's editor extracts
 * its server right after the container starts, and its node was the file that paid for all of that.
 * Nothing outside the temp directory is written; a failure only means the first real patch pays again.
 */
final class Warmup {

    private static final AtomicBoolean DONE = new AtomicBoolean();
    private static final String STORE_LIB = "/nix/store/00000000000000000000000000000000-warmup/lib";

    private Warmup() {}

    /** Warms up once per JVM, on a thread of its own; returns at once. */
    static void startOnce(Fixer fixer) {
        if (DONE.compareAndSet(false, true)) {
            Thread t = new Thread(() -> run(fixer), "elfmend-warmup");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Returns whether every step ran (false: this JVM's files are missing or unreadable). Without a
     * fixer (tests) the resolver is left cold.
     */
    static boolean run(Fixer fixer) {
        Path home = Path.of(System.getProperty("java.home"));
        Path launcher = home.resolve("bin/java");
        Path jvm = home.resolve("lib/server/libjvm.so");
        if (!Files.isReadable(launcher) || !Files.isReadable(jvm)) {
            return false;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("elfmend-warmup");
            Path copy = Files.copy(launcher, dir.resolve("java"));
            Writers.of(copy);
            FileCompleteness.check(copy);
            if (fixer != null) {
                fixer.dryRun().fixFile(copy, Fixer.tempDirFor(dir));
            }
            new ElfPatcher(dir, dir).patch(copy, ElfEdits.builder().interpreter(STORE_LIB + "/ld-linux.so")
                    .runPath(STORE_LIB).build());
            ElfEdits edits = ElfEdits.builder().runPath(STORE_LIB).build();
            try (OpenElf open = OpenElf.open(jvm, true)) {
                for (int i = 0; i < 3; i++) {
                    ElfRewriter.plan(open.elf(), ByteSources.of(open.channel()), edits);
                }
            }
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            return false;
        } finally {
            delete(dir);
        }
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left for the system's temp cleaning
                }
            });
        } catch (IOException e) {
            // gone already
        }
    }
}
