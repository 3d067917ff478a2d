package dev.elfmend.fixup;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfReader;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An ELF file opened read-only and parsed; stays open so lazily read parts (dynamic symbols) can be
 * reached. Reads go through positional channel reads, so memory does not grow with file size.
 */
public final class OpenElf implements AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final ElfFile elf;

    private OpenElf(Path path, FileChannel channel, ElfFile elf) {
        this.path = path;
        this.channel = channel;
        this.elf = elf;
    }

    /** Opens and parses {@code path}, following a symlink only when {@code followLinks} is set. */
    public static OpenElf open(Path path, boolean followLinks) throws IOException {
        boolean regular = followLinks ? java.nio.file.Files.isRegularFile(path)
                : java.nio.file.Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS);
        if (!regular) {
            // A FIFO or device would block or read forever; a missing file gets the usual error below.
            if (java.nio.file.Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(java.nio.file.Files.isSymbolicLink(path) && !followLinks
                        ? "is a symbolic link; not followed" : "not a regular file");
            }
        }
        FileChannel channel = followLinks
                ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            return new OpenElf(path, channel, ElfReader.read(ByteSources.of(channel)));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public ElfFile elf() {
        return elf;
    }

    public FileChannel channel() {
        return channel;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
