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
 * Tells a file that is written to the end from one still being written, at the moment its event
 * arrives: nobody has it open for writing (the kernel says so through a lease) and its last write is
 * older than the settle time. Where the kernel cannot say (a file of another user without CAP_LEASE, a
 * filesystem without leases) the answer is no, and the file waits for the settle time as before.
 */
final class FinishedFiles {

    /**
     * The kernel stamps mtime from a clock that ticks once per jiffy (1-10 ms), so a stamp may lie up to
     * that much in the past.
     */
    static final long COARSE_CLOCK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private FinishedFiles() {}

    static boolean finished(Path file, long settleNanos) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return false;
        }
        if (!a.isRegularFile()) {
            return false;
        }
        // Compared as instants: an archive's mtime may lie centuries back (or ahead), beyond a long of nanoseconds.
        Instant quietFrom = a.lastModifiedTime().toInstant().plusNanos(settleNanos + COARSE_CLOCK_NANOS);
        return !quietFrom.isAfter(Instant.now()) && Writers.of(file) == Writers.Answer.NONE;
    }
}
