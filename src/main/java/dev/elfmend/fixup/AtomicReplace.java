package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The one way elfmend changes a file: copy it kernel-side to a temp file on the same filesystem, let
 * the caller edit and check the copy, fsync it, make sure the original did not change meanwhile,
 * rename the copy over the original and fsync the directory. Readers see the old file or the new one,
 * never a mix; a running executable is replaced without ETXTBSY; mode (set-id bits included), owner,
 * group and file capability are kept. Every name is resolved relative to a directory held open, reached
 * from the tree root without following links, so a path component swapped for a symlink cannot
 * redirect a read or a write.
 */
public final class AtomicReplace {

    /** Prefix of every temp file elfmend creates; start-up cleanup removes leftovers by this name. */
    public static final String TEMP_PREFIX = ".elfmend-";
    public static final String TEMP_SUFFIX = ".tmp";

    /** A step that may fail; tests swap directories in the last one before the rename. */
    @FunctionalInterface
    interface Step {
        void run() throws IOException;
    }

    /** Edits the temp copy; {@code original} is open for reading, {@code copy} holds its bytes. */
    @FunctionalInterface
    public interface Editor {
        void edit(FileChannel original, FileChannel copy) throws IOException;
    }

    /** Thrown when the original changed while elfmend worked on it; the caller starts over. */
    public static final class ConcurrentChangeException extends IOException {
        private static final long serialVersionUID = 1L;

        ConcurrentChangeException(Path file) {
            super(FileNames.shown(file) + " changed while it was being patched");
        }

        ConcurrentChangeException(Path file, String why) {
            super(why + " (patching " + FileNames.shown(file) + ")");
        }
    }

    private AtomicReplace() {}

    /**
     * Replaces {@code target} by an edited copy of {@code source} (the same file for an in-place edit).
     * Temp files go to {@code tempDir}, which must be on the target's filesystem (null: beside the target).
     */
    public static void replace(Path source, Path target, Path tempDir, Editor editor) throws IOException {
        replace(null, source, target, tempDir, editor);
    }

    /**
     * {@link #replace(Path, Path, Path, Editor)} within {@code tree}: every directory below it is opened
     * without following links, and the rename lands in the directory that was checked, whatever its path
     * leads to by then.
     */
    public static void replace(Path tree, Path source, Path target, Path tempDir, Editor editor)
            throws IOException {
        try (SourceFile original = SourceFile.open(tree, source)) {
            replace(tree, original, target, tempDir, (in, copy, copier) -> editor.edit(in, copy), () -> {});
        }
    }

    /** An {@link Editor} that copies ranges of the original through {@code copier}, which keeps holes. */
    @FunctionalInterface
    interface RangeEditor {
        void edit(FileChannel original, FileChannel copy, SparseCopy copier) throws IOException;
    }

    /**
     * {@link #replace(Path, Path, Path, Path, Editor)} for a caller that has already read {@code original}
     * (and planned its edit from those bytes): any change to the file since it was opened is detected
     * before the rename. {@code beforeRename} runs at the last moment (tests swap directories there).
     */
    static void replace(Path tree, SourceFile original, Path target, Path tempDir, RangeEditor editor,
                        Step beforeRename) throws IOException {
        Path targetPath = target.toAbsolutePath().normalize();
        Path targetParent = parentOf(targetPath);
        boolean inPlace = targetPath.equals(original.path());
        try (OpenDirectory ownTargetDir = inPlace ? null : OpenDirectory.reach(tree, targetParent);
             OpenDirectory ownTemps = tempDir == null ? null : OpenDirectory.reach(tree, tempDir, 0700)) {
            OpenDirectory targetDir = inPlace ? original.directory() : ownTargetDir;
            OpenDirectory temps = ownTemps != null ? ownTemps : targetDir;
            byte[] targetName = inPlace ? original.name() : FileNames.lastName(targetPath);
            try (TempFile temp = TempFile.create(temps, 0600)) {
                FileChannel copy = temp.channel();
                SparseCopy copier = new SparseCopy(original.channel(), original.fd(), copy, temp.fd(), original.path());
                copier.copy(0, original.channel().size(), 0);
                editor.edit(original.channel(), copy, copier);
                temp.keep(original.state(), original.capability());
                copy.force(true);
                if (!original.state().equals(original.current())) {
                    throw new ConcurrentChangeException(original.path());
                }
                if (!inPlace && isSymbolicLink(targetDir, targetName, targetPath)) {
                    throw new IOException(FileNames.shown(targetPath)
                            + " is a symbolic link; elfmend does not write through links");
                }
                stillReachable(tree, targetDir, targetParent, original.path());
                beforeRename.run();
                temp.renameTo(targetDir, targetName, targetPath);
            }
            targetDir.sync();
        }
    }

    /**
     * Refuses to go on when {@code dir}'s path no longer leads to the directory elfmend holds open (it
     * was moved, or swapped for a symlink): the user would not find the result where they look for it.
     * The rename itself goes through the open directory, so even a swap after this check cannot redirect it.
     */
    private static void stillReachable(Path tree, OpenDirectory dir, Path dirPath, Path file) throws IOException {
        FileState held = dir.stat();
        try (OpenDirectory now = OpenDirectory.reach(tree == null ? dirPath : tree, dirPath)) {
            if (now.stat().sameFile(held)) {
                return;
            }
        } catch (OpenDirectory.LinkRefusedException e) {
            throw new ConcurrentChangeException(file, e.getFile() + " was replaced by a symbolic link while "
                    + "elfmend worked; nothing was written");
        } catch (java.nio.file.NoSuchFileException e) {
            // gone: reported below
        }
        throw new ConcurrentChangeException(file, FileNames.shown(dirPath) + " was moved or replaced while "
                + "elfmend worked; nothing was written");
    }

    private static boolean isSymbolicLink(OpenDirectory dir, byte[] name, Path path) throws IOException {
        try {
            return dir.stat(name, path).isSymbolicLink();
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    /** Produces the content of a file written by {@link #write}. */
    @FunctionalInterface
    public interface ContentWriter {
        void write(java.io.OutputStream out) throws IOException;
    }

    /**
     * Creates or replaces {@code target} with new content through the same temp-fsync-rename path
     * (state files: index, journal), all relative to the target's directory. A symlink at the target is
     * refused; the directory itself is the caller's choice, links on the way to it included.
     */
    public static void write(Path target, ContentWriter writer) throws IOException {
        write(null, target, writer);
    }

    /**
     * {@link #write(Path, ContentWriter)} for a state file inside {@code tree} (a journal inside a
     * container's root): the directories below the tree are reached, and made, without following links.
     */
    public static void write(Path tree, Path target, ContentWriter writer) throws IOException {
        Path file = target.toAbsolutePath().normalize();
        try (OpenDirectory dir = OpenDirectory.reach(tree, parentOf(file), 0755)) {
            byte[] name = FileNames.lastName(file);
            if (isSymbolicLink(dir, name, file)) {
                throw new IOException(FileNames.shown(file) + " is a symbolic link; elfmend does not write through links");
            }
            try (TempFile temp = TempFile.create(dir, 0644);
                 java.io.OutputStream out = new java.io.BufferedOutputStream(
                         java.nio.channels.Channels.newOutputStream(temp.channel()))) {
                writer.write(out);
                out.flush();
                temp.channel().force(true);
                temp.renameTo(dir, name, file);
            }
            dir.sync();
        }
    }

    /**
     * A temp file's name: it carries the writing process's id, so a later run can tell the temp files of a
     * killed run (stray) from those of an elfmend still at work in the same directory (a daemon and a
     * {@code fix}, or two of them, sharing a tree or a state directory).
     */
    static String tempName(String unique) {
        return TEMP_PREFIX + ProcessHandle.current().pid() + "-" + unique + TEMP_SUFFIX;
    }

    /**
     * Removes temp files a killed run left in {@code dir}; returns how many. A temp file whose writer is
     * still running (its process id, in the name, is alive in this process's view) is not stray.
     */
    public static int removeStrayTempFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int removed = 0;
        Path abs = dir.toAbsolutePath().normalize();
        try (OpenDirectory open = OpenDirectory.reach(abs.getParent(), abs);
             java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                     TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path p : entries) {
                byte[] name = FileNames.lastName(p);
                // Removed through the directory held open: a swapped path cannot make this delete elsewhere.
                if (open.stat(name, p).isRegularFile() && !writerAlive(p) && open.unlink(name, p)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private static boolean writerAlive(Path temp) {
        String name = temp.getFileName().toString();
        int dash = name.indexOf('-', TEMP_PREFIX.length());
        if (dash < 0) {
            return false;
        }
        try {
            long pid = Long.parseLong(name.substring(TEMP_PREFIX.length(), dash));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false; // a name without a process id: left by an older elfmend
        }
    }

    private static Path parentOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return Objects.requireNonNull(parent, "file has no parent directory");
    }
}
