package dev.elfmend.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assertions;

/**
 * A tree of files under test with a pristine copy of each and the SHA-256 of its two acceptable versions,
 * the original and the fully patched one: it puts originals back and tells, file by file, which version is
 * on disk, failing as soon as a file is neither (a torn or half-patched write).
 */
public final class TreeVersions {

    private final Path dir;
    private final Path pristine;
    private final List<String> files;
    private final Map<String, String> original;
    private final Map<String, String> patched;

    private TreeVersions(Path dir, Path pristine, List<String> files, Map<String, String> original,
                         Map<String, String> patched) {
        this.dir = dir;
        this.pristine = pristine;
        this.files = files;
        this.original = original;
        this.patched = patched;
    }

    /** Copies {@code layout} (relative path -> source file) to {@code pristine} and the originals to {@code dir}. */
    public static TreeVersions create(Path dir, Path pristine, Map<String, Path> layout) {
        Map<String, String> original = new TreeMap<>();
        layout.forEach((file, source) -> {
            copy(source, pristine.resolve(file));
            original.put(file, sha256(pristine.resolve(file)));
        });
        TreeVersions tree = new TreeVersions(dir, pristine, List.copyOf(original.keySet()), original, new TreeMap<>());
        tree.restoreAll();
        return tree;
    }

    /** Which files are in which version. */
    public record State(List<String> original, List<String> patched, String when) {
        public boolean mixed() {
            return !original.isEmpty() && !patched.isEmpty();
        }

        public void assertAllPatched() {
            Assertions.assertEquals(List.of(), original, when + ": files still original");
        }
    }

    public Path dir() {
        return dir;
    }

    public List<String> files() {
        return files;
    }

    public Path pristine(String file) {
        return pristine.resolve(file);
    }

    public long bytes() {
        return files.stream().mapToLong(f -> size(pristine.resolve(f))).sum();
    }

    /** Takes what is on disk now as every file's patched version; each must differ from its original. */
    public void recordPatched(String why) {
        for (String file : files) {
            String hash = sha256(dir.resolve(file));
            Assertions.assertNotEquals(original.get(file), hash, why + " did not change " + file);
            patched.put(file, hash);
        }
    }

    /** The same files, with the same versions, at {@code target} (originals copied there). */
    public TreeVersions copyOriginalsTo(Path target) {
        files.forEach(f -> copy(pristine.resolve(f), target.resolve(f)));
        return movedTo(target);
    }

    /** The same files after {@code dir} was renamed to {@code target}. */
    public TreeVersions movedTo(Path target) {
        return new TreeVersions(target, pristine, files, original, patched);
    }

    public void restoreAll() {
        files.forEach(this::restore);
    }

    public void restore(String file) {
        copy(pristine.resolve(file), dir.resolve(file));
    }

    /** Each file's inode identity: an atomic replace changes it, an edit in place does not. */
    public Map<String, Object> fileKeys() {
        Map<String, Object> keys = new TreeMap<>();
        for (String file : files) {
            try {
                keys.put(file, Files.readAttributes(dir.resolve(file), BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot stat " + dir.resolve(file), e);
            }
        }
        return keys;
    }

    /** Which version each file is in; fails naming the file when it is neither the original nor the patched one. */
    public State state(String when) {
        List<String> originals = new ArrayList<>();
        List<String> patchedFiles = new ArrayList<>();
        for (String file : files) {
            String hash = sha256(dir.resolve(file));
            if (hash.equals(original.get(file))) {
                originals.add(file);
            } else if (hash.equals(patched.get(file))) {
                patchedFiles.add(file);
            } else {
                throw new AssertionError(when + ": " + dir.resolve(file) + " is neither the original nor the "
                        + "patched version (sha256 " + hash + ")");
            }
        }
        return new State(originals, patchedFiles, when);
    }

    public static String sha256(Path file) {
        return Digests.sha256(file);
    }

    private static void copy(Path source, Path target) {
        try {
            Files.createDirectories(target.getParent());
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + source + " to " + target, e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
