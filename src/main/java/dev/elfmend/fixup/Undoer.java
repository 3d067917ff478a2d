package dev.elfmend.fixup;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.store.RootedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Restores what the journal recorded: the original interpreter and run path (with its original tag)
 * of every patched file under the given paths. A file changed since elfmend patched it is left alone
 * and reported, so undo never overwrites someone else's edit.
 */
public final class Undoer {

    public record Result(Path file, boolean restored, List<String> changes, String problem) {}

    private final Path root;
    private final Journal journal;

    public Undoer(Path root, Journal journal) {
        this.root = root.toAbsolutePath().normalize();
        this.journal = journal;
    }

    public List<Result> undo(List<Path> paths) throws IOException {
        List<Result> out = new ArrayList<>();
        for (Path p : paths) {
            String prefix = RootedFiles.inRoot(root, p.toAbsolutePath().normalize());
            if (prefix == null) {
                throw new IOException(p + " is outside the root " + root);
            }
            Path tempDir = Fixer.tempDirFor(p.toAbsolutePath().normalize());
            try {
                for (Journal.Entry e : journal.under(prefix)) {
                    out.add(undoOne(e, tempDir));
                }
            } finally {
                Fixer.removeIfEmpty(tempDir);
            }
        }
        return out;
    }

    private Result undoOne(Journal.Entry e, Path tempDir) {
        Path file;
        try {
            file = RootedFiles.host(root, e.path());
        } catch (java.nio.file.InvalidPathException ex) {
            return new Result(root, false, List.of(), e.path() + ": name not expressible in this locale's charset "
                    + "(run elfmend with a UTF-8 locale, e.g. LC_ALL=C.UTF-8); kept in the journal");
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            journal.remove(e.path());
            return new Result(file, false, List.of(), "no longer exists; forgotten");
        }
        try {
            ElfFile elf;
            try (OpenElf open = OpenElf.open(file, false)) {
                elf = open.elf();
            }
            String runPath = elf.runPath().or(elf::rPath).orElse(null);
            if (!Objects.equals(elf.interpreter().orElse(null), e.patchedInterpreter())
                    || !Objects.equals(runPath, e.patchedRunPath())) {
                return new Result(file, false, List.of(), "changed since elfmend patched it; left as it is");
            }
            ElfEdits.Builder edits = ElfEdits.builder();
            if (e.interpreter() != null) {
                edits.interpreter(e.interpreter());
            }
            if (e.runPath() != null) {
                edits.runPath(e.runPath()).runPathTag(ElfEdits.RunPathTag.RUNPATH);
            } else if (e.rPath() != null) {
                edits.runPath(e.rPath()).runPathTag(ElfEdits.RunPathTag.RPATH);
            } else {
                edits.removeRunPath();
            }
            ElfPatcher.Result r = new ElfPatcher(tempDir.getParent(), tempDir).patch(file, edits.build());
            journal.remove(e.path());
            return new Result(file, true, r.changes(), null);
        } catch (IOException | RuntimeException ex) {
            return new Result(file, false, List.of(), ex.getMessage());
        }
    }
}
