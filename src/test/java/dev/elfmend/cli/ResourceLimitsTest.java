package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that claim or are absurdly much, through the command line as users meet them: an ELF file that
 * claims 2^32 - 1 sections, a 4 GiB sparse file, a tree 10,000 directories deep, file names with a
 * newline and bytes that are not UTF-8, and the C locale. Each ends with a clear message or a
 * correct result, one line per thing, never a hang, a crash or a flood.
 */
class ResourceLimitsTest {

    private static final Duration NO_HANG = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    /** Deep trees are removed with rm, which walks them relative to each directory; Java's cleanup cannot. */
    @AfterEach
    void removeDeepTrees() {
        Processes.run("rm", "-rf", dir.resolve("nix/root/opt/deep").toString());
    }

    private Path cache() {
        return dir.resolve("cache");
    }

    private static List<String> lines(String text) {
        return text.lines().toList();
    }

    /** fix's lines without what changed (its order varies), sorted: "patched FILE", the summary. */
    private static List<String> outcomes(CliRun fix) {
        return lines(fix.out()).stream().map(l -> l.replaceFirst(": (interpreter|runpath) .*", "")
                .replaceFirst(";.*", "")).sorted().toList();
    }

    // ---------------------------------------------------------------- 2^32 - 1 sections

    /** A real executable whose header says the section count is in section 0, which claims 2^32 - 1. */
    private static void claimFourBillionSections(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, 0);
            long shoff = header.getLong(0x28);
            ch.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 0), 0x3c);
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0xffffffffL), shoff + 32);
        }
    }

    @Test
    void anElfClaimingTwoToTheThirtyTwoSectionsGetsOneLineFromInspectCheckAndFix() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path file = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/claims");
        claimFourBillionSections(file);
        byte[] before = Files.readAllBytes(file);

        CliRun inspect = assertTimeoutPreemptively(NO_HANG, () -> CliRun.of("inspect", file.toString()));
        CliRun check = assertTimeoutPreemptively(NO_HANG,
                () -> FixCommandTest.inRoot(nix, cache(), "check", file.toString()));
        CliRun fix = assertTimeoutPreemptively(NO_HANG,
                () -> FixCommandTest.inRoot(nix, cache(), "fix", file.toString()));

        assertEquals(1, inspect.exit(), inspect.toString());
        assertEquals(1, lines(inspect.err()).size(), inspect.err());
        assertTrue(inspect.err().startsWith("elfmend: " + file + ": "), inspect.err());
        assertTrue(inspect.err().contains("section header table with 4294967295 entries"), inspect.err());
        assertEquals(1, check.exit(), check.toString());
        assertTrue(check.out().startsWith(file + ": unreadable (") && check.out().contains("4294967295"), check.out());
        assertEquals(1, fix.exit(), fix.toString());
        assertTrue(fix.out().startsWith("failed " + file + ": ") && fix.out().contains("4294967295"), fix.out());
        assertEquals(2, lines(fix.out()).size(), "the file's line and the summary: " + fix.out());
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    // ---------------------------------------------------------------- 4 GiB sparse

    private static long allocatedBytes(Path file) {
        String[] blocks = Processes.runOk("stat", "-c", "%b %B", file.toString()).out().trim().split(" ");
        return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    }

    @Test
    void aFourGibibyteSparseFileIsPatchedAndStaysSparse() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path file = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/big");
        long elfSize = Files.size(file);
        long size = (4L << 30) + 123;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size); // a hole: no disk blocks for the 4 GiB
        }
        assertTrue(allocatedBytes(file) < 1 << 20, "sparse to begin with");

        CliRun inspect = CliRun.of("inspect", file.toString());
        CliRun fix = assertTimeoutPreemptively(NO_HANG, () -> FixCommandTest.inRoot(nix, cache(), "fix", file.toString()));

        assertEquals(0, inspect.exit(), inspect.toString());
        assertTrue(inspect.out().contains("payload:      " + (size - elfSize) + " bytes"), inspect.out());
        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(fix.out().startsWith("patched " + file + ": "), fix.out());
        assertEquals(Optional.of(NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2"),
                Readelf.programHeaders(file).interpreter());
        assertTrue(Files.size(file) >= size, "the payload is kept: " + Files.size(file));
        assertTrue(allocatedBytes(file) < 1 << 20, "the hole stays a hole: " + allocatedBytes(file) + " bytes on disk");
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer tail = ByteBuffer.allocate(4096);
            ch.read(tail, Files.size(file) - tail.capacity());
            assertArrayEquals(new byte[4096], tail.array(), "the payload still reads as zeros");
        }
        assertFalse(Files.exists(file.resolveSibling(".elfmend-tmp")), "no temp files left");
    }

    // ---------------------------------------------------------------- 10,000 levels

    /** Makes {@code d/d/.../d} LEVELS deep under DIR with chdir (no path to the bottom fits in PATH_MAX). */
    private static final String DEEP_C = """
            #include <fcntl.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <sys/stat.h>
            #include <unistd.h>

            /* deep DIR LEVELS FILE DEPTH...: a copy of FILE named tool at each DEPTH */
            static int copy(const char *from) {
                int in = open(from, O_RDONLY), out = open("tool", O_WRONLY | O_CREAT | O_EXCL, 0755);
                char buffer[65536];
                ssize_t n;
                if (in < 0 || out < 0) return -1;
                while ((n = read(in, buffer, sizeof buffer)) > 0) if (write(out, buffer, n) != n) return -1;
                return close(in) | close(out) | (int) n;
            }

            int main(int argc, char **argv) {
                if (argc < 4 || chdir(argv[1]) != 0) { perror(argv[1]); return 1; }
                for (int level = 1, levels = atoi(argv[2]); level <= levels; level++) {
                    if (mkdir("d", 0755) != 0 || chdir("d") != 0) { perror("d"); return 1; }
                    for (int k = 4; k < argc; k++) {
                        if (atoi(argv[k]) == level && copy(argv[3]) != 0) { perror("tool"); return 1; }
                    }
                }
                return 0;
            }
            """;

    /** {@code /opt/deep}: 10,000 directories deep, with the hello fixture at the given depths. */
    private Path deepTree(NixRoot nix, int... depths) throws IOException {
        Path source = Files.writeString(dir.resolve("deep.c"), DEEP_C);
        Path tool = dir.resolve("deep");
        Processes.runOk("gcc", "-O2", "-o", tool.toString(), source.toString());
        Path deep = Files.createDirectories(nix.host("/opt/deep"));
        List<String> line = new java.util.ArrayList<>(List.of(tool.toString(), deep.toString(), "10000",
                Fixtures.compile("hello", Fixtures.Variant.PIE).toString()));
        for (int d : depths) {
            line.add(Integer.toString(d));
        }
        Processes.command(line).timeout(NO_HANG).runOk();
        return deep;
    }

    /** The depths (directories below {@code deep}) whose tool still has the fixture's bytes; find -execdir reaches any depth. */
    private static List<Integer> unchangedDepths(Path deep) {
        String out = Processes.command("find", deep.toString(), "-name", "tool", "-execdir", "cmp", "-s", "{}",
                Fixtures.compile("hello", Fixtures.Variant.PIE).toString(), ";", "-printf", "%d\n")
                .timeout(NO_HANG).runOk().out();
        return out.lines().map(l -> Integer.parseInt(l) - 1).sorted().toList();
    }

    @Test
    void aTreeTenThousandLevelsDeepGivesOneWarningAndFilesWithinReachAreFixed() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path deep = deepTree(nix, 5, 1500, 9999);
        assertEquals(List.of(5, 1500, 9999), unchangedDepths(deep));
        String path5 = deep + "/d".repeat(5) + "/tool";
        String path1500 = deep + "/d".repeat(1500) + "/tool";

        CliRun check = assertTimeoutPreemptively(NO_HANG, () -> FixCommandTest.inRoot(nix, cache(), "check", deep.toString()));
        CliRun fix = assertTimeoutPreemptively(NO_HANG, () -> FixCommandTest.inRoot(nix, cache(), "fix", deep.toString()));

        for (CliRun run : List.of(check, fix)) {
            List<String> warnings = lines(run.err());
            assertEquals(1, warnings.size(), run.err());
            assertTrue(warnings.getFirst().startsWith("elfmend: warning: stopped searching " + deep + " at depth "),
                    warnings.getFirst());
            assertTrue(warnings.getFirst().contains("(…/d/d/d): paths there are longer than the 4096 bytes Linux "
                    + "accepts; 1 entry at that depth and everything below it was not searched"), warnings.getFirst());
        }
        assertEquals(3, check.exit(), check.toString());
        assertEquals(0, fix.exit(), fix.toString());
        assertEquals(List.of("2 ELF files: 2 patched", "patched " + path1500, "patched " + path5), outcomes(fix));
        assertEquals(Optional.of(NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2"),
                Readelf.programHeaders(Path.of(path1500)).interpreter());
        assertEquals(List.of(9999), unchangedDepths(deep), "the file beyond reach is untouched");
    }

    // ---------------------------------------------------------------- odd names

    /** Copies the fixture into {@code dir} under a name given as shell printf format (raw bytes). */
    private static void installAs(Path dir, String printfName) {
        Processes.runOk("/bin/sh", "-c", "cp \"$2\" \"$1/$(printf '" + printfName + "')\"", "sh", dir.toString(),
                Fixtures.compile("hello", Fixtures.Variant.PIE).toString());
    }

    @Test
    void namesWithANewlineOrBytesThatAreNotUtf8AreFoundPatchedAndShownOnOneLine() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path names = Files.createDirectories(nix.host("/opt/names"));
        installAs(names, "new\\nline");
        installAs(names, "bad\\377name\\n2");

        CliRun dry = FixCommandTest.inRoot(nix, cache(), "fix", "--dry-run", "--json", names.toString());
        CliRun check = FixCommandTest.inRoot(nix, cache(), "check", names.toString());
        CliRun fix = FixCommandTest.inRoot(nix, cache(), "fix", names.toString());

        assertEquals(0, dry.exit(), dry.toString());
        Map<String, Object> report = FixCommandTest.object(JsonParser.parse(dry.out()));
        Map<String, Map<String, Object>> byPath = new java.util.TreeMap<>();
        FixCommandTest.list(report.get("files")).forEach(f -> byPath.put((String) FixCommandTest.object(f).get("path"),
                FixCommandTest.object(f)));
        assertEquals(List.of(names + "/bad\\xffname\\n2", names + "/new\nline"), List.copyOf(byPath.keySet()),
                "JSON has the exact name where it can, the escaped one where bytes are not UTF-8");
        assertEquals(true, byPath.get(names + "/bad\\xffname\\n2").get("pathEscaped"));
        assertFalse(byPath.get(names + "/new\nline").containsKey("pathEscaped"));

        assertEquals(3, check.exit(), check.toString());
        assertTrue(lines(check.out()).stream().anyMatch(l -> l.startsWith(names + "/new\\nline: needs fixing")),
                check.out());
        assertTrue(lines(check.out()).stream().anyMatch(l -> l.startsWith(names + "/bad\\xffname\\n2: needs fixing")),
                check.out());

        assertEquals(0, fix.exit(), fix.toString());
        assertEquals(List.of("2 ELF files: 2 patched", "patched " + names + "/bad\\xffname\\n2",
                "patched " + names + "/new\\nline"), outcomes(fix), "one line per file");
        String interpreters = Processes.runOk("/bin/sh", "-c", "for f in \"$1\"/*; do readelf -l \"$f\" | "
                + "grep -c 'interpreter: /nix/store/'; done", "sh", names.toString()).out();
        assertEquals("1\n1\n", interpreters, "both files, found by their raw names, were patched");
    }

    // ---------------------------------------------------------------- the C locale

    /** A name in UTF-8 and one that is not, under a tree whose own path is plain ASCII. */
    private static Path treeWithNonAsciiNames(NixRoot nix) throws IOException {
        Path tree = Files.createDirectories(nix.host("/opt/locale"));
        installAs(tree, "caf\\303\\251-tool");
        installAs(tree, "raw\\377");
        return tree;
    }

    @Test
    void underTheCLocaleFixStillFindsAndPatchesEveryName() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path tree = treeWithNonAsciiNames(nix);
        String java = ProcessHandle.current().info().command().orElseThrow();

        Processes.Result fix = Processes.command(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                        System.getProperty("java.class.path"), "dev.elfmend.cli.Main", "fix", "--root",
                        nix.root().toString(), "--cache-dir", cache().toString(), tree.toString())
                .env("LC_ALL", "C").env("LANG", "C").timeout(NO_HANG).run();

        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(fix.out().contains("2 ELF files: 2 patched"), fix.out());
        assertTrue(fix.out().contains("patched " + tree + "/raw\\xff: "), fix.out());
        String interpreters = Processes.runOk("/bin/sh", "-c", "for f in \"$1\"/*; do readelf -l \"$f\" | "
                + "grep -c 'interpreter: /nix/store/'; done", "sh", tree.toString()).out();
        assertEquals("1\n1\n", interpreters);
    }

    /**
     * Java decodes command-line arguments with the locale's charset: under LANG=C a path with a byte
     * above 127 could not even be named. The launcher runs elfmend in a UTF-8 locale whatever the user's is.
     */
    @Test
    void theLauncherLetsAUtf8PathBeNamedUnderTheCLocale() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path tree = treeWithNonAsciiNames(nix);
        Path jar = classPathJar(dir.resolve("elfmend.jar"));
        Path launcher = Path.of("src/main/scripts/elfmend").toAbsolutePath();

        Processes.Result inspect = Processes.command("/bin/sh", launcher.toString(), "inspect",
                        tree.resolve("café-tool").toString())
                .env("LC_ALL", "C").env("LANG", "C").env("ELFMEND_JAR", jar.toString())
                .env("JAVA_HOME", System.getProperty("java.home")).env("XDG_CACHE_HOME", dir.resolve("xdg").toString())
                .timeout(NO_HANG).run();

        assertEquals(0, inspect.exit(), inspect.toString());
        assertTrue(inspect.out().contains("/lib64/ld-linux-x86-64.so.2"), inspect.out());
    }

    /** A jar that runs elfmend from the test class path, for the launcher (which runs {@code java -jar}). */
    private static Path classPathJar(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(Attributes.Name.MAIN_CLASS, "dev.elfmend.cli.Main");
        StringBuilder classPath = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            classPath.append(classPath.isEmpty() ? "" : " ").append(Path.of(entry).toUri());
        }
        main.put(Attributes.Name.CLASS_PATH, classPath.toString());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.flush();
        }
        return jar;
    }
}
