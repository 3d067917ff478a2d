package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.cli.Main;
import dev.elfmend.fixup.ElfPatcher;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Objdump;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --replace-version-need}: vna_name points at the new name, vna_hash is the new name's ELF hash (read
 * from the raw bytes, since readelf does not print it), and the symbols that were bound to the old version
 * are bound to the new one, as inspect told before and objdump tells after.
 */
class VersionNeedRenameTest {

    private static final Pattern NEEDS_OFFSET = Pattern.compile("Version needs section[^\\n]*\\n\\s*Addr: 0x\\p{XDigit}+"
            + "\\s+Offset: 0x(\\p{XDigit}+)");

    @Test
    void renamedNeedBindsItsSymbolsToTheNewVersionAndStillRuns(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.glibcVersioned(), dir);
        long size = Files.size(exe);
        String before = run("inspect", "--json", exe.toString()).out();
        assertTrue(before.contains("\"GLIBC_2.32\": [\"pthread_sigmask\"]"), before);
        assertEquals("GLIBC_2.32", versionOf("pthread_sigmask", exe));

        Processes.Result result = run("patchelf", "--replace-version-need", "libc.so.6", "GLIBC_2.32", "GLIBC_2.2.5",
                exe.toString());

        assertEquals(0, result.exit(), result.err());
        assertTrue(result.err().contains("warning"), "the command says the rename is dangerous: " + result.err());
        Readelf.VersionNeed libc = libcNeed(exe);
        assertEquals(List.of("GLIBC_2.2.5", "GLIBC_2.2.5", "GLIBC_2.34"), libc.names());
        assertHashesMatchNames(exe);
        assertEquals("GLIBC_2.2.5", versionOf("pthread_sigmask", exe));
        String after = run("inspect", "--json", exe.toString()).out();
        assertTrue(after.matches("(?s).*\"GLIBC_2.2.5\": \\[[^]]*\"pthread_sigmask\".*"), after);
        assertEquals(size, Files.size(exe), "the name was already in the string table: nothing grows");
        Processes.Result run = Binaries.run(exe);
        assertEquals(0, run.exit(), run.err());
        assertEquals("sigmask ok\n", run.out());
    }

    @Test
    void renameToANewNameGrowsTheStringTableAndTheLoaderAsksForIt(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.glibcVersioned(), dir);
        List<String> lintBefore = LayoutCheckTest.elflint(exe);

        ElfPatcher.Result result = Binaries.patch(exe, ElfEdits.builder()
                .renameVersionNeed("libc.so.6", "GLIBC_2.32", "GLIBC_2.99").build());

        assertTrue(result.changed());
        assertEquals(List.of("GLIBC_2.99", "GLIBC_2.2.5", "GLIBC_2.34"), libcNeed(exe).names());
        assertHashesMatchNames(exe);
        assertTrue(lintBefore.containsAll(LayoutCheckTest.elflint(exe)), "eu-elflint checks vna_hash too");
        Processes.Result run = Binaries.run(exe);
        assertNotEquals(0, run.exit());
        assertTrue(run.err().contains("GLIBC_2.99"), "the loader now requires the new name: " + run.err());
    }

    @Test
    void unknownVersionIsRefusedAndTheFileUntouched(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.glibcVersioned(), dir);
        byte[] before = Files.readAllBytes(exe);

        IOException e = assertThrows(IOException.class, () -> new ElfPatcher(null).patch(exe, ElfEdits.builder()
                .renameVersionNeed("libc.so.6", "GLIBC_9.9", "GLIBC_2.2.5").build()));

        assertTrue(e.getMessage().contains("GLIBC_9.9"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(exe));
    }

    /** A replaced NEEDED renames vn_file too, and a version rename can name the library by its new name. */
    @Test
    void replaceNeededAndRenameInOneCall(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.versionedUser(), dir);

        Binaries.patch(exe, ElfEdits.builder().replaceNeeded("libver.so.1", "libver-renamed.so.1")
                .renameVersionNeed("libver-renamed.so.1", "LIBVER_1.0", "LIBVER_1.5").build());

        Map<String, List<String>> needs = new LinkedHashMap<>();
        Readelf.versionNeeds(exe).forEach(n -> needs.put(n.file(), n.names()));
        assertEquals(List.of("LIBVER_2.0", "LIBVER_1.5"), needs.get("libver-renamed.so.1"), needs.toString());
        assertTrue(Readelf.dynamic(exe).needed().contains("libver-renamed.so.1"));
        assertHashesMatchNames(exe);
    }

    private static Readelf.VersionNeed libcNeed(Path exe) {
        return Readelf.versionNeeds(exe).stream().filter(n -> n.file().equals("libc.so.6")).findFirst()
                .orElseThrow();
    }

    private static String versionOf(String symbol, Path exe) {
        return Objdump.dynamicSymbols(exe).stream().filter(s -> s.name().equals(symbol)).findFirst()
                .orElseThrow().version();
    }

    /** Walks .gnu.version_r in the file's bytes and checks every vna_hash against the name readelf shows. */
    static void assertHashesMatchNames(Path file) throws IOException {
        String text = Processes.command("readelf", "-W", "-V", file.toString()).env("LC_ALL", "C").runOk().out();
        Matcher m = NEEDS_OFFSET.matcher(text);
        assertTrue(m.find(), text);
        Map<Integer, String> namesByIndex = new LinkedHashMap<>();
        for (Readelf.VersionNeed need : Readelf.parseVersionNeeds(text)) {
            need.versions().forEach(v -> namesByIndex.put(v.other(), v.name()));
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file))
                .order(Readelf.header(file).littleEndian() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int need = Integer.parseInt(m.group(1), 16);
        int checked = 0;
        while (true) {
            int count = Short.toUnsignedInt(b.getShort(need + 2));
            int aux = need + b.getInt(need + 8);
            for (int i = 0; i < count; i++) {
                long hash = Integer.toUnsignedLong(b.getInt(aux));
                int other = Short.toUnsignedInt(b.getShort(aux + 6));
                String name = namesByIndex.get(other);
                assertEquals(new Readelf.NeededVersion(name, "", other).hash(), hash, "vna_hash of " + name);
                checked++;
                aux += b.getInt(aux + 12);
            }
            int next = b.getInt(need + 12);
            if (next == 0) {
                break;
            }
            need += next;
        }
        assertEquals(namesByIndex.size(), checked);
    }

    private static Processes.Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            exit = Main.run(args, o, e);
        }
        return new Processes.Result(exit, out.toString(), err.toString());
    }
}
