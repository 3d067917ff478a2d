package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fix pipeline over a tree with symlinks pointing out of it: neither the walk nor the write path
 * follows them, whether elfmend found the path itself or was handed it (as the daemon is, from a file event).
 */
class TreeWalkSecurityTest {

    @TempDir
    Path dir;

    NixRoot nix;
    Fixer fixer;
    Path tree;
    Path outside;
    byte[] outsideBytes;

    @BeforeEach
    void rootWithATreeAndAnElfOutsideIt() throws IOException {
        nix = NixRoot.create(dir.resolve("nix"));
        fixer = new Fixer(nix.root(), NixRoot.STORE_DIR, FixerTest.resolver(nix), null, Fixer.Target.NIX, false,
                new Journal());
        tree = Files.createDirectories(nix.host("/home/user/.vscode-server"));
        outside = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/etc/outside/tool");
        outsideBytes = Files.readAllBytes(outside);
        nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/home/user/.vscode-server/bin/node");
    }

    private Map<Path, Fixer.Outcome> fix() throws IOException {
        Map<Path, Fixer.Outcome> out = new java.util.TreeMap<>();
        fixer.run(List.of(tree), new Fixer.Listener() { }).forEach(r -> out.put(r.file(), r.outcome()));
        return out;
    }

    private void assertOutsideUntouched() throws IOException {
        assertArrayEquals(outsideBytes, Files.readAllBytes(outside), outside + " is outside the tree");
        try (var files = Files.list(outside.getParent())) {
            assertEquals(List.of(outside), files.toList(), "nothing was added outside the tree");
        }
    }

    @Test
    void aLinkToAFileOutsideTheTreeIsNeitherReportedNorPatched() throws IOException {
        Files.createSymbolicLink(tree.resolve("bin/linked-tool"), outside);

        assertEquals(Map.of(tree.resolve("bin/node"), Fixer.Outcome.PATCHED), fix());
        assertOutsideUntouched();
    }

    @Test
    void aLinkToADirectoryOutsideTheTreeIsNotEntered() throws IOException {
        Files.createSymbolicLink(tree.resolve("extensions"), outside.getParent());

        assertEquals(Map.of(tree.resolve("bin/node"), Fixer.Outcome.PATCHED), fix());
        assertOutsideUntouched();
    }

    /** The daemon hands over paths from file events; one that goes through a link is refused, not followed. */
    @Test
    void aPathThroughALinkedDirectoryHandedToTheFixerIsRefused() throws IOException {
        Path link = Files.createSymbolicLink(tree.resolve("extensions"), outside.getParent());

        Fixer.FileResult r = fixer.fixFile(link.resolve("tool"), Fixer.tempDirFor(tree));

        assertEquals(Fixer.Outcome.FAILED, r.outcome(), r.toString());
        assertEquals(link + ": is a symbolic link; elfmend does not follow links", r.error());
        assertOutsideUntouched();
    }

    @Test
    void aTempDirectoryPlantedAsALinkOutsideIsRefusedAndNothingIsWrittenThere() throws IOException {
        Path elsewhere = Files.createDirectories(nix.host("/etc/planted"));
        Files.createSymbolicLink(Fixer.tempDirFor(tree), elsewhere);

        Fixer.FileResult r = fixer.fixFile(tree.resolve("bin/node"), Fixer.tempDirFor(tree));

        assertEquals(Fixer.Outcome.FAILED, r.outcome(), r.toString());
        assertTrue(r.error().contains(ElfFiles.TEMP_DIR + ": is a symbolic link"), r.error());
        try (var files = Files.list(elsewhere)) {
            assertEquals(0, files.count());
        }
    }
}
