package dev.elfmend.watch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which files the daemon may take at once instead of waiting for the settle time. */
class FinishedFilesTest {

    private static final long SETTLE = TimeUnit.MILLISECONDS.toNanos(25);

    @TempDir
    Path dir;

    private Path file(String name, Instant mtime) throws Exception {
        Path f = Files.writeString(dir.resolve(name), "data");
        Files.setLastModifiedTime(f, FileTime.from(mtime));
        return f;
    }

    @Test
    void aClosedFileLastWrittenBeforeTheSettleTimeIsFinished() throws Exception {
        assertTrue(FinishedFiles.finished(file("old", Instant.now().minusSeconds(5)), SETTLE));
        // tar sets an archive's times, which may lie before 1970 or centuries back
        assertTrue(FinishedFiles.finished(file("ancient", Instant.parse("1601-01-01T00:00:00Z")), SETTLE));
        assertTrue(FinishedFiles.finished(file("epoch", Instant.EPOCH), SETTLE));
    }

    @Test
    void aFileWrittenJustNowOrStampedInTheFutureWaits() throws Exception {
        assertFalse(FinishedFiles.finished(Files.writeString(dir.resolve("new"), "data"), SETTLE));
        assertFalse(FinishedFiles.finished(file("future", Instant.now().plus(400, ChronoUnit.DAYS)), SETTLE));
        assertFalse(FinishedFiles.finished(file("far", Instant.parse("9999-01-01T00:00:00Z")), SETTLE));
    }

    @Test
    void aFileStillOpenForWritingWaitsHoweverOldItsStampIs() throws Exception {
        Path f = file("open", Instant.now().minusSeconds(60));
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(60)));
            assertFalse(FinishedFiles.finished(f, SETTLE));
        }
        assertTrue(FinishedFiles.finished(f, SETTLE));
    }

    @Test
    void onlyRegularFilesAreTakenAtOnce() throws Exception {
        Path target = file("target", Instant.now().minusSeconds(60));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertFalse(FinishedFiles.finished(link, SETTLE));
        assertFalse(FinishedFiles.finished(dir, SETTLE));
        assertFalse(FinishedFiles.finished(dir.resolve("gone"), SETTLE));
    }
}
