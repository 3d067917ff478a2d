package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write path works relative to directories it holds open, reached from the tree root without
 * following links: a directory swapped for a symlink to somewhere outside the tree, before or even
 * after the last check, never gets the write; the outcome says what happened.
 */
class WritePathSecurityTest {

    private static final String LOADER = "/nix/store/00000000000000000000000000000000-glibc/lib/ld-linux-x86-64.so.2";
    private static final ElfEdits EDIT = ElfEdits.builder().interpreter(LOADER).build();

    @TempDir
    Path dir;

    Path tree;
    Path sub;
    Path tool;
    Path outside;
    byte[] original;

    /** {@code tree/sub/tool}, and outside the tree a directory with a file of the same name, the bait. */
    @BeforeEach
    void files() throws IOException {
        tree = Files.createDirectories(dir.resolve("tree"));
        sub = Files.createDirectories(tree.resolve("sub"));
        tool = Files.copy(Fixtures.compile("hello", Fixtures.Variant.PIE), sub.resolve("tool"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.copy(Fixtures.compile("hello", Fixtures.Variant.PIE), outside.resolve("tool"));
        original = Files.readAllBytes(tool);
    }

    /** Every file under {@code root} with its inode, size and modification time, not following links. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.toList()) {
                Map<String, Object> a = Files.readAttributes(p, "unix:ino,size,lastModifiedTime,mode",
                        LinkOption.NOFOLLOW_LINKS);
                out.put(root.relativize(p).toString(), a.toString());
            }
        }
        return out;
    }

    /** Moves {@code sub} aside and puts a symlink to the outside directory in its place. */
    private Path swapSubForALinkOutside() throws IOException {
        Path moved = tree.resolve("sub.moved");
        Files.move(sub, moved);
        Files.createSymbolicLink(sub, outside);
        return moved;
    }

    private ElfPatcher patcher(ElfPatcher.BeforeReplace beforeReplace, AtomicReplace.Step beforeRename) {
        return new ElfPatcher(tree, Fixer.tempDirFor(tree), ElfPatcher.Guard.NONE, beforeReplace, beforeRename);
    }

    @Test
    void aDirectorySwappedForALinkOutsideBeforeTheRenameIsNotWrittenThrough() throws IOException {
        Map<String, String> outsideBefore = snapshot(outside);
        ElfPatcher patcher = patcher((source, copy) -> {
            if (!Files.isSymbolicLink(sub)) {
                swapSubForALinkOutside();
            }
        }, () -> { });

        IOException e = assertThrows(IOException.class, () -> patcher.patch(tool, EDIT));

        assertTrue(e.getMessage().contains(sub + ": is a symbolic link; elfmend does not follow links"), e.getMessage());
        assertEquals(outsideBefore, snapshot(outside), "nothing outside the tree was written");
        assertArrayEquals(original, Files.readAllBytes(tree.resolve("sub.moved/tool")), "the original is untouched");
        AtomicReplaceTest.assertNoTempFiles(Fixer.tempDirFor(tree));
    }

    @Test
    void theLastCheckSaysTheDirectoryWasReplacedByALink() throws IOException {
        Path file = tool;
        // A single attempt, so the message is the one from the check before the rename.
        IOException e = assertThrows(IOException.class, () -> {
            try (SourceFile source = SourceFile.open(tree, file)) {
                AtomicReplace.replace(tree, source, file, Fixer.tempDirFor(tree), (in, copy, copier) -> {
                    swapSubForALinkOutside();
                }, () -> { });
            }
        });

        assertTrue(e instanceof AtomicReplace.ConcurrentChangeException, e.toString());
        assertEquals(sub + " was replaced by a symbolic link while elfmend worked; nothing was written (patching "
                + tool + ")", e.getMessage());
        assertArrayEquals(Files.readAllBytes(Fixtures.compile("hello", Fixtures.Variant.PIE)),
                Files.readAllBytes(outside.resolve("tool")));
    }

    /**
     * The narrowest window: the swap happens after every check, right before the rename. The rename goes
     * through the directory elfmend holds open, so the result lands in the directory that was checked
     * (now moved aside), and the directory outside is not touched.
     */
    @Test
    void aSwapAfterTheLastCheckStillLandsInTheDirectoryThatWasChecked() throws IOException {
        Map<String, String> outsideBefore = snapshot(outside);
        Path[] moved = new Path[1];
        ElfPatcher patcher = patcher((source, copy) -> { }, () -> moved[0] = swapSubForALinkOutside());

        patcher.patch(tool, EDIT);

        assertEquals(outsideBefore, snapshot(outside), "nothing outside the tree was written");
        assertEquals(Optional.of(LOADER), Readelf.programHeaders(moved[0].resolve("tool")).interpreter(),
                "the patched file is in the directory that was checked");
        AtomicReplaceTest.assertNoTempFiles(Fixer.tempDirFor(tree));
    }

    @Test
    void aLinkedDirectoryBelowTheTreeIsRefusedAndNotFollowed() throws IOException {
        Path link = Files.createSymbolicLink(tree.resolve("link"), outside);
        Map<String, String> outsideBefore = snapshot(outside);

        IOException e = assertThrows(IOException.class, () -> patcher((s, c) -> { }, () -> { })
                .patch(link.resolve("tool"), EDIT));

        assertEquals(link + ": is a symbolic link; elfmend does not follow links", e.getMessage());
        assertEquals(outsideBefore, snapshot(outside));
    }

    @Test
    void aTempDirectoryThatIsALinkIsRefusedAndNothingIsCreatedWhereItPoints() throws IOException {
        Path temps = Fixer.tempDirFor(tree);
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.createSymbolicLink(temps, elsewhere);

        IOException e = assertThrows(IOException.class, () -> patcher((s, c) -> { }, () -> { }).patch(tool, EDIT));

        assertEquals(temps + ": is a symbolic link; elfmend does not follow links", e.getMessage());
        try (Stream<Path> left = Files.list(elsewhere)) {
            assertEquals(0, left.count(), "no temp file where the link points");
        }
        assertArrayEquals(original, Files.readAllBytes(tool));
    }

    @Test
    void aFileSwappedForAFifoIsRefusedWithoutWaitingForAWriter() throws IOException {
        Files.delete(tool);
        Processes.runOk("mkfifo", tool.toString());

        IOException e = assertTimeoutPreemptively(Duration.ofMinutes(1),
                () -> assertThrows(IOException.class, () -> patcher((s, c) -> { }, () -> { }).patch(tool, EDIT)));

        assertEquals(tool + ": is a FIFO, not a regular file", e.getMessage());
    }

    @Test
    void aStateFileIsNeverWrittenThroughALinkAtItsName() throws IOException {
        Path state = Files.createDirectories(dir.resolve("state"));
        Path victim = Files.writeString(outside.resolve("victim"), "keep me");
        Path journal = Files.createSymbolicLink(state.resolve("journal"), victim);

        IOException e = assertThrows(IOException.class, () -> AtomicReplace.write(journal, out -> out.write('x')));

        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
        assertEquals("keep me", Files.readString(victim));
        assertTrue(Files.isSymbolicLink(journal));
        AtomicReplaceTest.assertNoTempFiles(state);
        assertFalse(Files.exists(outside.resolve("journal")));
    }

    /** A container root whose state directories are links to the host: elfmend's state goes nowhere outside it. */
    @Test
    void stateInsideARootIsNotWrittenThroughItsLinks() throws IOException {
        Path root = Files.createDirectories(dir.resolve("container"));
        Path hostEtc = Files.createDirectories(dir.resolve("host-etc"));
        Path hostLink = Files.createSymbolicLink(hostEtc.resolve("alternative"), Path.of("/bin/true"));
        Files.createDirectories(root.resolve("nix/var/nix"));
        Files.createSymbolicLink(root.resolve("nix/var/nix/gcroots"), hostEtc);
        Files.createSymbolicLink(root.resolve("var"), hostEtc);
        Map<String, String> hostBefore = snapshot(hostEtc);

        IOException roots = assertThrows(IOException.class, () -> new GcRoots(root,
                root.resolve("nix/var/nix/gcroots/elfmend"), "/nix/store").sync(java.util.Set.of("abc-glibc")));
        IOException journal = assertThrows(IOException.class, () -> new Journal().save(root,
                root.resolve("var/lib/elfmend/journal")));

        assertEquals(root.resolve("nix/var/nix/gcroots") + ": is a symbolic link; elfmend does not follow links",
                roots.getMessage());
        assertEquals(root.resolve("var") + ": is a symbolic link; elfmend does not follow links", journal.getMessage());
        assertEquals(hostBefore, snapshot(hostEtc), "the host's links are neither removed nor joined by others");
        assertTrue(Files.isSymbolicLink(hostLink));
    }
}
