package dev.elfmend.fixup;

import com.sun.jna.LastErrorException;
import java.nio.file.Path;

/**
 * Whether some process still has a file open for writing. The daemon asks before it skips the settle
 * wait: a file nobody writes to any more and whose last write is older than the settle time is done.
 */
public final class Writers {

    /** The kernel's answer. */
    public enum Answer { NONE, SOME, UNKNOWN }

    private Writers() {}

    /** Asks about {@code file} as named (a link at its name is not followed); never throws. */
    public static Answer of(Path file) {
        int fd;
        try {
            fd = LinuxFiles.open(LinuxFiles.AT_FDCWD, FileNames.bytes(file.toAbsolutePath()),
                    LinuxFiles.O_RDONLY | LinuxFiles.O_NOFOLLOW | LinuxFiles.O_NONBLOCK, 0, file);
        } catch (java.io.IOException | LastErrorException | UnsatisfiedLinkError e) {
            return Answer.UNKNOWN;
        }
        try {
            Boolean writing = LinuxFiles.openForWriting(fd);
            return writing == null ? Answer.UNKNOWN : writing ? Answer.SOME : Answer.NONE;
        } finally {
            LinuxFiles.closeQuietly(fd);
        }
    }
}
