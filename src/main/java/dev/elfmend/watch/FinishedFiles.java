package dev.elfmend.watch;

import dev.elfmend.fixup.Writers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Tells, when a file's event arrives, how far its writer has got: {@linkplain Progress#FINISHED
 * finished} when nobody has it open for writing (the kernel says so through a lease) and its last write
 * is older than the settle time (a file renamed into place); {@linkplain Progress#CLOSING closing} when
 * its last write is that old but a writer still holds it open (tar sets a file's times, owner and mode
 * through the open descriptor and closes it a moment later); {@linkplain Progress#WRITING writing}
 * otherwise. Where the kernel cannot say who writes (a file of another user without CAP_LEASE, a
 * filesystem without leases) the answer is writing, and the file waits for the settle time as before.
 */
final class FinishedFiles {

    enum Progress { FINISHED, CLOSING, WRITING }

    /**
     * The kernel stamps mtime from a clock that ticks once per jiffy (1-10 ms), so a stamp may lie up to
     * that much in the past.
     */
    static final long COARSE_CLOCK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private FinishedFiles() {}

    static Progress progress(Path file, long settleNanos) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Progress.WRITING;
        }
        if (!a.isRegularFile()) {
            return Progress.WRITING;
        }
        // Compared as instants: an archive's mtime may lie centuries back (or ahead), beyond a long of nanoseconds.
        Instant quietFrom = a.lastModifiedTime().toInstant().plusNanos(settleNanos + COARSE_CLOCK_NANOS);
        if (quietFrom.isAfter(Instant.now())) {
            return Progress.WRITING;
        }
        return switch (Writers.of(file)) {
            case NONE -> Progress.FINISHED;
            case SOME -> Progress.CLOSING;
            case UNKNOWN -> Progress.WRITING;
        };
    }
}
