package dev.elfmend.watch;

import static dev.elfmend.watch.FinishedFiles.Progress.CLOSING;
import static dev.elfmend.watch.FinishedFiles.Progress.FINISHED;
import static dev.elfmend.watch.FinishedFiles.Progress.WRITING;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** How far a file's writer has got, as the daemon judges it when an event arrives. */
class FinishedFilesTest {

    private static final long SETTLE = TimeUnit.MILLISECONDS.toNanos(25);

    @TempDir
    Path dir;

    private Path file(String name, Instant mtime) throws Exception {
        Path f = Files.writeString(dir.resolve(name), "data");
        Files.setLastModifiedTime(f, FileTime.from(mtime));
        return f;
    }

    private static FinishedFiles.Progress of(Path f) {
        return FinishedFiles.progress(f, SETTLE);
    }

    @Test
    void aClosedFileLastWrittenBeforeTheSettleTimeIsFinished() throws Exception {
        assertEquals(FINISHED, of(file("old", Instant.now().minusSeconds(5))));
        // tar sets an archive's times, which may lie before 1970 or centuries back
        assertEquals(FINISHED, of(file("ancient", Instant.parse("1601-01-01T00:00:00Z"))));
        assertEquals(FINISHED, of(file("epoch", Instant.EPOCH)));
    }

    @Test
    void aFileWrittenJustNowOrStampedInTheFutureIsBeingWritten() throws Exception {
        assertEquals(WRITING, of(Files.writeString(dir.resolve("new"), "data")));
        assertEquals(WRITING, of(file("future", Instant.now().plus(400, ChronoUnit.DAYS))));
        assertEquals(WRITING, of(file("far", Instant.parse("9999-01-01T00:00:00Z"))));
    }

    @Test
    void anOldStampWithTheWriterStillOpenIsClosingAndTheCloseFinishesIt() throws Exception {
        Path f = file("open", Instant.now().minusSeconds(60));
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(60)));
            assertEquals(CLOSING, of(f));
        }
        assertEquals(FINISHED, of(f));
    }

    @Test
    void onlyRegularFilesAreEverFinished() throws Exception {
        Path target = file("target", Instant.now().minusSeconds(60));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertEquals(WRITING, of(link));
        assertEquals(WRITING, of(dir));
        assertEquals(WRITING, of(dir.resolve("gone")));
    }
}
