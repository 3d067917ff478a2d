package dev.elfmend.watch;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Whether a file that just changed is a complete ELF file: it starts with the ELF magic, its headers
 * parse, and every section, segment and table they declare is present. A file still being written fails
 * one of these (its headers arrive first and promise more than is there; the section header table
 * usually comes last). What lies inside a complete file is the fix pipeline's to judge.
 */
final class FileCompleteness {

    enum State { COMPLETE, INCOMPLETE, NOT_ELF, GONE }

    private FileCompleteness() {}

    static State check(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            if (size < 4) {
                return State.INCOMPLETE;
            }
            ByteBuffer head = ByteBuffer.allocate(4);
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                // read the magic
            }
            if (!ElfReader.hasElfMagic(head.array(), head.position())) {
                return State.NOT_ELF;
            }
            return ElfReader.contentEnd(ByteSources.of(ch)) <= size ? State.COMPLETE : State.INCOMPLETE;
        } catch (NoSuchFileException e) {
            return State.GONE;
        } catch (IOException e) {
            // Truncated (still being written) or damaged; the retry limit tells them apart.
            return java.nio.file.Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? State.INCOMPLETE : State.GONE;
        }
    }
}
