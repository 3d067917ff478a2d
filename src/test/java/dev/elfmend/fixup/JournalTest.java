package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal file: every field survives a save and load, absent and empty stay distinct, damage is reported. */
class JournalTest {

    @TempDir
    Path dir;

    private static Journal.Entry entry(String path) {
        return new Journal.Entry(path, "/lib64/ld-linux-x86-64.so.2", null, "", List.of("libc.so.6", "lib,odd%.so"),
                "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40/lib/ld-linux-x86-64.so.2",
                "$ORIGIN/:/nix/store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40/lib",
                Set.of("0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40", "1123456789abcdfghijklmnpqrsvwxyz-gcc-13-lib"));
    }

    @Test
    void everyFieldSurvivesASaveAndLoad() throws IOException {
        Journal journal = new Journal();
        journal.put(entry("/home/u/.vscode-server/bin/abc/node"));
        journal.put(entry("/weird name/with\ttab\nand newline!/x"));
        journal.put(new Journal.Entry("/opt/plain", null, null, null, List.of(), null, null, Set.of()));
        Path file = dir.resolve("state/journal");
        Files.createDirectories(file.getParent());

        journal.save(file);
        Journal back = Journal.load(file);

        assertEquals(List.copyOf(journal.entries()), List.copyOf(back.entries()));
        Journal.Entry plain = back.get("/opt/plain");
        assertEquals(null, plain.interpreter());
        assertEquals("", back.get("/home/u/.vscode-server/bin/abc/node").rPath(), "empty is not absent");
        assertEquals(3, Files.readAllLines(file).size() - 1, "one line per file");
    }

    @Test
    void aMissingJournalIsEmpty() throws IOException {
        assertTrue(Journal.load(dir.resolve("none")).entries().isEmpty());
    }

    @Test
    void aDamagedOrForeignFileIsAnErrorNamingIt() throws IOException {
        Path damaged = Files.writeString(dir.resolve("damaged"), "elfmend-journal 1\n/a\tb\n");
        Path foreign = Files.writeString(dir.resolve("foreign"), "elfmend-journal 99\n");

        IOException d = assertThrows(IOException.class, () -> Journal.load(damaged));
        IOException f = assertThrows(IOException.class, () -> Journal.load(foreign));
        assertTrue(d.getMessage().contains(damaged + ": line 2"), d.getMessage());
        assertTrue(f.getMessage().contains(foreign.toString()), f.getMessage());
    }

    @Test
    void underSelectsATreeAndNotItsNamesakes() {
        Journal journal = new Journal();
        for (String p : List.of("/a/b", "/a/b/c", "/a/b/c/d", "/a/bc", "/x")) {
            journal.put(entry(p));
        }

        assertEquals(List.of("/a/b", "/a/b/c", "/a/b/c/d"), journal.under("/a/b").stream().map(Journal.Entry::path)
                .toList());
        assertEquals(List.of("/a/b/c", "/a/b/c/d"), journal.under("/a/b/c/").stream().map(Journal.Entry::path)
                .toList());
        assertEquals(5, journal.under("/").size());
        assertEquals(Set.of("0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40", "1123456789abcdfghijklmnpqrsvwxyz-gcc-13-lib"),
                journal.storePaths());
    }

    @Test
    void anEntryWrittenAheadSurvivesARunThatNeverSavedTheJournal() throws IOException {
        Path file = dir.resolve("state/journal");
        Journal first = Journal.load(null, file);
        first.writeAhead(entry("/home/u/.vscode-server/bin/abc/node"));
        // killed here: the whole journal was never saved

        Journal next = Journal.load(null, file);
        assertEquals(entry("/home/u/.vscode-server/bin/abc/node"), next.get("/home/u/.vscode-server/bin/abc/node"));
        next.writeAhead(entry("/home/u/.vscode-server/bin/abc/rg"));
        next.save();
        try (var ahead = Files.list(dir.resolve("state/journal.d"))) {
            assertEquals(0, ahead.count(), "entries written ahead are folded into the saved journal");
        }
        assertEquals(2, Journal.load(null, file).entries().size());
    }
}
