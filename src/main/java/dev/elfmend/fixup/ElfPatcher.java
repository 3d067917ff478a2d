package dev.elfmend.fixup;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfEdits;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfFormatException;
import dev.elfmend.elf.ElfReader;
import dev.elfmend.elf.ElfRewriter;
import dev.elfmend.elf.LayoutCheck;
import dev.elfmend.elf.Rewrite;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Applies {@link ElfEdits} to a file on disk: read, plan one layout, write through
 * {@link AtomicReplace}, re-read the result and check it before it replaces the original. A file
 * that needs no change is not touched at all.
 */
public final class ElfPatcher {

    private static final int ATTEMPTS = 3;

    /** What happened to one file. */
    public record Result(Path file, boolean changed, List<String> changes, long oldSize, long newSize) {}

    private final Path tempDir;

    /** @param tempDir where temp files go (same filesystem as the files), or null for beside each file */
    public ElfPatcher(Path tempDir) {
        this.tempDir = tempDir;
    }

    public Result patch(Path file, ElfEdits edits) throws IOException {
        return patch(file, file, edits);
    }

    /** Patches {@code source} into {@code target} (patchelf's --output); the same path edits in place. */
    public Result patch(Path source, Path target, ElfEdits edits) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(source, target, edits);
            } catch (AtomicReplace.ConcurrentChangeException e) {
                if (attempt >= ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private Result attempt(Path source, Path target, ElfEdits edits) throws IOException {
        Rewrite rewrite;
        long oldSize;
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ElfFile elf = ElfReader.read(ByteSources.of(channel));
            oldSize = elf.fileSize();
            rewrite = ElfRewriter.plan(elf, ByteSources.of(channel), edits);
        }
        if (rewrite.isNoop() && source.equals(target)) {
            return new Result(source, false, List.of(), oldSize, oldSize);
        }
        Rewrite planned = rewrite;
        if (tempDir != null) {
            java.nio.file.Files.createDirectories(tempDir);
        }
        AtomicReplace.replace(source, target, tempDir, (original, copy) -> {
            apply(planned, original, copy);
            verify(copy, planned, target);
        });
        return new Result(target, !rewrite.isNoop(), rewrite.changes(), oldSize, rewrite.newSize());
    }

    static void apply(Rewrite rewrite, FileChannel original, FileChannel copy) throws IOException {
        if (rewrite.newSize() < copy.size()) {
            copy.truncate(rewrite.newSize());
        }
        for (Rewrite.Op op : rewrite.ops()) {
            switch (op) {
                case Rewrite.Copy c -> AtomicReplace.copyRange(original, c.sourceOffset(), c.length(), copy,
                        c.targetOffset());
                case Rewrite.Write w -> {
                    ByteBuffer buffer = ByteBuffer.wrap(w.bytes());
                    long at = w.targetOffset();
                    while (buffer.hasRemaining()) {
                        at += copy.write(buffer, at);
                    }
                }
            }
        }
        if (copy.size() != rewrite.newSize()) {
            throw new IOException("rewrite produced " + copy.size() + " bytes, planned " + rewrite.newSize());
        }
    }

    private static void verify(FileChannel copy, Rewrite rewrite, Path target) throws IOException {
        ElfFile after = ElfReader.read(ByteSources.of(copy));
        List<String> problems = LayoutCheck.check(after, rewrite.expected());
        if (!problems.isEmpty()) {
            throw new ElfFormatException(-1, "refusing to write " + target + ": the rewritten file would be "
                    + "inconsistent (" + String.join("; ", problems) + "); the original is unchanged");
        }
    }
}
