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
import java.nio.file.Path;
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

    /** Runs on the edited and verified copy just before it replaces the original (tests inject failures here). */
    @FunctionalInterface
    interface BeforeReplace {
        void run(Path source, FileChannel copy) throws IOException;
    }

    /**
     * Decides from the opened file (the very one that will be replaced, not whatever its name leads to
     * later) whether it may be replaced; throws {@link FilePolicy.RefusedException} when not.
     */
    @FunctionalInterface
    interface Guard {
        Guard NONE = (file, state, capability) -> { };

        void check(Path file, FileState state, Capability capability) throws IOException;
    }

    /** The file's capability attribute, read only when a guard asks. */
    @FunctionalInterface
    interface Capability {
        byte[] read() throws IOException;
    }

    private final Path tree;
    private final Path tempDir;
    private final Guard guard;
    private final BeforeReplace beforeReplace;
    private final AtomicReplace.Step beforeRename;

    /** @param tempDir where temp files go (same filesystem as the files), or null for beside each file */
    public ElfPatcher(Path tempDir) {
        this(null, tempDir, Guard.NONE, (source, copy) -> {}, () -> {});
    }

    /**
     * A patcher for files under {@code tree}: directories below it are never followed through links, and
     * {@code tempDir} (at the tree's root, same filesystem) holds the temp files.
     */
    public ElfPatcher(Path tree, Path tempDir) {
        this(tree, tempDir, Guard.NONE, (source, copy) -> {}, () -> {});
    }

    ElfPatcher(Path tempDir, BeforeReplace beforeReplace) {
        this(null, tempDir, Guard.NONE, beforeReplace, () -> {});
    }

    ElfPatcher(Path tree, Path tempDir, Guard guard, BeforeReplace beforeReplace, AtomicReplace.Step beforeRename) {
        this.tree = tree;
        this.tempDir = tempDir;
        this.guard = guard;
        this.beforeReplace = beforeReplace;
        this.beforeRename = beforeRename;
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
        try (SourceFile original = SourceFile.open(tree, source)) {
            guard.check(original.path(), original.state(), original::capability);
            FileChannel channel = original.channel();
            ElfFile elf = ElfReader.read(ByteSources.of(channel));
            long oldSize = elf.fileSize();
            Rewrite rewrite = ElfRewriter.plan(elf, ByteSources.of(channel), edits);
            if (rewrite.isNoop() && original.path().equals(target.toAbsolutePath().normalize())) {
                return new Result(source, false, List.of(), oldSize, oldSize);
            }
            // What the file already got wrong (a stale PT_GNU_PROPERTY left by patchelf 0.14, say) is not ours
            // to refuse; only what the edit would break is.
            List<String> known = LayoutCheck.check(elf, null);
            AtomicReplace.replace(tree, original, target, tempDir, (in, copy, copier) -> {
                apply(rewrite, copy, copier);
                verify(copy, rewrite, known, target);
                beforeReplace.run(source, copy);
            }, beforeRename);
            return new Result(target, !rewrite.isNoop(), rewrite.changes(), oldSize, rewrite.newSize());
        }
    }

    static void apply(Rewrite rewrite, FileChannel original, FileChannel copy) throws IOException {
        apply(rewrite, copy, SparseCopy.dense(original, copy));
    }

    /** Applies the rewrite to the copy; ranges of the original come through {@code copier}, holes and all. */
    static void apply(Rewrite rewrite, FileChannel copy, SparseCopy copier) throws IOException {
        if (rewrite.newSize() < copy.size()) {
            copy.truncate(rewrite.newSize());
        }
        for (Rewrite.Op op : rewrite.ops()) {
            switch (op) {
                case Rewrite.Copy c -> copier.copy(c.sourceOffset(), c.length(), c.targetOffset());
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

    private static void verify(FileChannel copy, Rewrite rewrite, List<String> known, Path target)
            throws IOException {
        ElfFile after = ElfReader.read(ByteSources.of(copy));
        List<String> problems = new java.util.ArrayList<>(LayoutCheck.check(after, rewrite.expected()));
        problems.removeAll(known);
        if (!problems.isEmpty()) {
            throw new ElfFormatException(-1, "refusing to write " + target + ": the rewritten file would be "
                    + "inconsistent (" + String.join("; ", problems) + "); the original is unchanged");
        }
    }
}
