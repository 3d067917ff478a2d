package dev.elfmend.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Digests;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The daemon's warm-up runs the pipeline on the JVM's own files and leaves nothing behind. */
class WarmupTest {

    private static List<String> warmupDirs() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("elfmend-warmup")).sorted().toList();
        }
    }

    @Test
    void runsOnTheJvmsOwnFilesWithoutChangingThemOrLeavingFiles() throws Exception {
        Path home = Path.of(System.getProperty("java.home"));
        Path launcher = home.resolve("bin/java");
        Path jvm = home.resolve("lib/server/libjvm.so");
        String launcherBefore = Digests.sha256(launcher);
        String jvmBefore = Digests.sha256(jvm);
        Object launcherKey = Files.readAttributes(launcher, java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).lastModifiedTime();
        List<String> before = warmupDirs();

        assertTrue(Warmup.run(null), "warm-up ran every step on " + home);

        assertEquals(launcherBefore, Digests.sha256(launcher));
        assertEquals(jvmBefore, Digests.sha256(jvm));
        assertEquals(launcherKey, Files.readAttributes(launcher, java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).lastModifiedTime());
        assertEquals(before, warmupDirs(), "its temp directory is gone");
    }
}
