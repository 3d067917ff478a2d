package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a patched file looks like to tools that know ELF better than we do: {@code eu-elflint --gnu-ld} finds
 * nothing it did not find in the original, {@code strip} accepts it and the stripped file still runs, and
 * {@link LayoutCheck} itself accepts sound files and names what is wrong in damaged ones.
 */
class LayoutCheckTest {

    private static final String NIX_RPATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib/lib"
            + ":/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib";
    private static final String NIX_LOADER =
            "/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib/ld-linux-x86-64.so.2";

    /** eu-elflint's messages for {@code file}, sorted, without the "No errors" line. */
    static List<String> elflint(Path file) {
        Requirements.requireTool("eu-readelf"); // same package (elfutils); this one's message names it
        Requirements.requireTool("eu-elflint");
        Processes.Result r = Processes.command("eu-elflint", "--gnu-ld", file.toString()).env("LC_ALL", "C").run();
        TreeSet<String> messages = new TreeSet<>();
        for (String line : (r.out() + r.err()).lines().toList()) {
            if (!line.isBlank() && !line.equals("No errors")) {
                messages.add(line.replace(file.toString(), "FILE"));
            }
        }
        return List.copyOf(messages);
    }

    static Stream<Arguments> fixturesAndEdits() {
        Map<String, Function<Path, ElfEdits>> edits = Map.of(
                "interpreter", f -> ElfEdits.builder().interpreter(NIX_LOADER).build(),
                "runpath", f -> ElfEdits.builder().runPath(NIX_RPATH).build(),
                "rpath", f -> ElfEdits.builder().runPath(NIX_RPATH).runPathTag(ElfEdits.RunPathTag.RPATH).build(),
                "needed", f -> ElfEdits.builder().addNeeded("libm.so.6").replaceNeeded("libc.so.6", "libc.so.6.new")
                        .build(),
                "soname", f -> ElfEdits.builder().soname("libsoname-that-does-not-fit-in-place.so.1").build(),
                "everything", f -> ElfEdits.builder().interpreter(NIX_LOADER).runPath(NIX_RPATH)
                        .addNeeded("libdl.so.2").soname("libz.so").build(),
                "twice", f -> ElfEdits.builder().runPath(NIX_RPATH + ":/again").addNeeded("libm.so.6").build());
        List<Arguments> all = new ArrayList<>();
        for (Fixtures.Fixture fixture : Fixtures.standard()) {
            boolean hasInterpreter = Readelf.programHeaders(fixture.path()).interpreter().isPresent();
            if (fixture.name().startsWith("static")) {
                continue; // nothing to edit; the refusals are tested in ElfRewriterTest
            }
            for (Map.Entry<String, Function<Path, ElfEdits>> edit : new TreeMap<>(edits).entrySet()) {
                boolean setsInterpreter = edit.getKey().equals("interpreter") || edit.getKey().equals("everything");
                if (hasInterpreter || !setsInterpreter) {
                    all.add(Arguments.of(fixture, edit.getKey(), edit.getValue()));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("fixturesAndEdits")
    void elflintFindsNothingNewInAPatchedFile(Fixtures.Fixture fixture, String name, Function<Path, ElfEdits> edit,
                                              @TempDir Path dir) throws IOException {
        Path file = Binaries.copy(fixture.path(), dir);
        List<String> before = elflint(file);
        Binaries.patch(file, edit.apply(file));
        if (name.equals("twice")) {
            Binaries.patch(file, ElfEdits.builder().runPath("/short").removeNeeded("libm.so.6").build());
        }
        List<String> after = elflint(file);
        List<String> added = new ArrayList<>(after);
        added.removeAll(before);
        assertEquals(List.of(), added, "new eu-elflint messages for " + fixture + " after " + name);
        assertEquals(List.of(), LayoutCheck.check(read(file), null));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"PIE", "NO_PIE", "RPATH", "NOSEPARATE_CODE", "PIE_32", "NO_PIE_32"})
    void strippedPatchedFileStillRuns(Variant variant, @TempDir Path dir) throws IOException {
        Requirements.requireTool("readelf"); // same package (binutils); this one's message names it
        Requirements.requireTool("strip");
        Path fixture = Fixtures.compile("hello", variant);
        Path exe = Binaries.copy(fixture, dir.resolve("bin"));
        Path loader = Binaries.hostLoaderCopy(fixture, Binaries.longDirectory(dir.resolve("loader"), 180));
        Binaries.patch(exe, ElfEdits.builder().interpreter(loader.toString()).runPath(NIX_RPATH)
                .addNeeded("libm.so.6").build());
        ElfFacts patched = ElfFacts.of(exe);

        Path stripped = dir.resolve("stripped");
        Processes.runOk("strip", "-o", stripped.toString(), exe.toString());
        Processes.runOk("strip", exe.toString());

        for (Path file : List.of(stripped, exe)) {
            assertEquals(patched, ElfFacts.of(file), "strip keeps what the edit did");
            Processes.Result run = Binaries.run(file);
            assertEquals(0, run.exit(), run.err());
            assertEquals(Fixtures.HELLO_OUTPUT, run.out());
        }
        // And elfmend can edit what strip wrote.
        Binaries.patch(exe, ElfEdits.builder().runPath("/elsewhere").build());
        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(exe).out());
    }

    @Test
    void soundFilesPassTheCheck() throws IOException {
        for (Fixtures.Fixture fixture : Fixtures.standard()) {
            assertEquals(List.of(), LayoutCheck.check(read(fixture.path()), null), fixture.name());
        }
    }

    @Test
    void expectedFactsThatDoNotHoldAreReported() throws IOException {
        ElfFile elf = read(Fixtures.compile("hello", Variant.RUNPATH));
        Rewrite.Expected expected = new Rewrite.Expected("/other/ld.so", List.of("libc.so.6"), "/x", null, null,
                Map.of("libc.so.6", List.of("GLIBC_2.2.5", "GLIBC_2.34")));

        List<String> problems = LayoutCheck.check(elf, expected);

        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("interpreter"), problems.toString());
        assertTrue(problems.get(1).startsWith("runpath"), problems.toString());
    }

    /** Damage a grown file the way a wrong layout would, and the check says what is wrong. */
    @Test
    void damagedLayoutsAreNamed(@TempDir Path dir) throws IOException {
        Path file = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir);
        Binaries.patch(file, ElfEdits.builder().runPath(NIX_RPATH).interpreter(NIX_LOADER).build());
        byte[] good = Files.readAllBytes(file);
        ElfFile elf = read(file);
        ProgramHeader added = elf.programHeaders().stream().filter(p -> p.type() == ProgramHeader.PT_LOAD)
                .reduce((a, b) -> b).orElseThrow();
        assertEquals(List.of(), LayoutCheck.check(elf, null));

        // An alignment under which the added segment's offset is no longer congruent to its address.
        byte[] misaligned = good.clone();
        long phdr = elf.header().phoff() + (long) added.index() * elf.header().phentsize();
        put64(misaligned, phdr + 48, 0x1000000);
        assertProblem(misaligned, "not congruent");

        // The interpreter segment pointing where no section is.
        byte[] interp = good.clone();
        ProgramHeader pInterp = elf.programHeaders().stream().filter(p -> p.type() == ProgramHeader.PT_INTERP)
                .findFirst().orElseThrow();
        long interpEntry = elf.header().phoff() + (long) pInterp.index() * elf.header().phentsize();
        put64(interp, interpEntry + 16, pInterp.vaddr() + 0x100000);
        assertProblem(interp, ".interp");

        // A note segment left behind when its notes moved.
        byte[] note = good.clone();
        ProgramHeader pNote = elf.programHeaders().stream().filter(p -> p.type() == ProgramHeader.PT_NOTE)
                .findFirst().orElseThrow();
        long noteEntry = elf.header().phoff() + (long) pNote.index() * elf.header().phentsize();
        put64(note, noteEntry + 8, pNote.offset() + 4);
        assertProblem(note, "PT_NOTE");

        // PT_PHDR no longer describing the table.
        byte[] phdrBad = good.clone();
        put64(phdrBad, elf.header().phoff() + 32, 8);
        assertProblem(phdrBad, "PT_PHDR");
    }

    /**
     * patchelf 0.14 moves .note.gnu.property when it grows a PIE but leaves PT_GNU_PROPERTY at the old place.
     * The check names that; elfmend still edits such a file, since it refuses only what its own edit breaks.
     */
    @Test
    void inconsistencyAFileAlreadyHadIsNamedButDoesNotBlockAnEdit(@TempDir Path dir) throws IOException {
        Requirements.requireTool("patchelf");
        Path fixture = Fixtures.compile("hello", Variant.PIE);
        Path exe = Binaries.copy(fixture, dir.resolve("bin"));
        Processes.runOk("patchelf", "--set-rpath", NIX_RPATH + ":/and/more/to/make/it/grow", exe.toString());
        List<String> before = LayoutCheck.check(read(exe), null);
        assertTrue(before.stream().anyMatch(p -> p.startsWith("PT_GNU_PROPERTY")), before.toString());

        Path loader = Binaries.hostLoaderCopy(fixture, Binaries.longDirectory(dir.resolve("loader"), 150));
        Binaries.patch(exe, ElfEdits.builder().interpreter(loader.toString()).addNeeded("libm.so.6")
                .runPath("/short").build());

        assertTrue(before.containsAll(LayoutCheck.check(read(exe), null)), "nothing new is wrong");
        Processes.Result run = Binaries.run(exe);
        assertEquals(0, run.exit(), run.err());
        assertEquals(Fixtures.HELLO_OUTPUT, run.out());
    }

    private static void assertProblem(byte[] bytes, String fragment) throws IOException {
        List<String> problems = LayoutCheck.check(ElfReader.read(ByteSources.of(bytes)), null);
        assertTrue(problems.stream().anyMatch(p -> p.contains(fragment)), fragment + " in " + problems);
    }

    private static void put64(byte[] bytes, long at, long value) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, value);
    }

    static ElfFile read(Path file) throws IOException {
        return ElfReader.read(ByteSources.of(Files.readAllBytes(file)));
    }
}
