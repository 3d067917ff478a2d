package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfmend.elf.ElfFacts;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code elfmend patchelf} against Debian's patchelf, fixture by fixture and edit by edit: patchelf edits copy
 * A, we edit copy B, and the two must mean the same to the loader (readelf's interpreter, NEEDED, RUNPATH or
 * RPATH with its tag, SONAME, version needs), print the same through every --print option (read by either
 * tool), fail together, and run alike. Where the two deliberately differ, a test below says why.
 */
class PatchelfDifferentialTest {

    /** Shaped like a Nix store path: 32-character hash, much longer than /lib64/ld-linux-x86-64.so.2. */
    static final String NIX_LOADER = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib/ld-linux-x86-64.so.2";
    static final String NIX_RPATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib/lib"
            + ":/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib";

    /** One input file. */
    record Subject(String name, Supplier<Path> file) {
        boolean isLibrary() {
            return name.startsWith("lib") || name.contains(".so");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * One patchelf command line (without the file). {@code setup}, when not empty, is run first with Debian's
     * patchelf on both copies, so the edit under test starts from the same prepared file.
     */
    record Edit(String name, List<String> setup, List<String> args) {
        static Edit of(String name, String... args) {
            return new Edit(name, List.of(), List.of(args));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Subject> subjects() {
        return List.of(
                new Subject("pie", () -> Fixtures.compile("hello", Variant.PIE)),
                new Subject("no-pie", () -> Fixtures.compile("hello", Variant.NO_PIE)),
                new Subject("libgreet.so.1", () -> Fixtures.compile("greet", Variant.SHARED)),
                new Subject("runpath", () -> Fixtures.compile("hello", Variant.RUNPATH)),
                new Subject("rpath", () -> Fixtures.compile("hello", Variant.RPATH)),
                new Subject("separate-code", () -> Fixtures.compile("hello", Variant.SEPARATE_CODE)),
                new Subject("noseparate-code", () -> Fixtures.compile("hello", Variant.NOSEPARATE_CODE)),
                new Subject("pie-32", () -> Fixtures.compile("hello", Variant.PIE_32)),
                new Subject("no-pie-32", () -> Fixtures.compile("hello", Variant.NO_PIE_32)),
                new Subject("libgreet.so.1-32", () -> Fixtures.compile("greet", Variant.SHARED_32)),
                new Subject("usever", Fixtures::versionedUser),
                new Subject("libfoo.so.1", () -> Fixtures.chain().libfoo()));
    }

    static List<Edit> edits() {
        return List.of(
                Edit.of("set-interpreter shorter", "--set-interpreter", "/lib/ld.so"),
                Edit.of("set-interpreter same", "--set-interpreter", "/lib64/ld-linux-x86-64.so.2"),
                Edit.of("set-interpreter longer", "--set-interpreter", NIX_LOADER),
                Edit.of("set-rpath shorter", "--set-rpath", "/a"),
                Edit.of("set-rpath longer", "--set-rpath", NIX_RPATH),
                Edit.of("set-rpath same", "--set-rpath", Fixtures.SEARCH_PATH),
                Edit.of("set-rpath empty", "--set-rpath", ""),
                Edit.of("add-rpath", "--add-rpath", "/opt/extra/lib"),
                Edit.of("remove-rpath", "--remove-rpath"),
                Edit.of("shrink-rpath", "--shrink-rpath"),
                Edit.of("force-rpath set-rpath", "--force-rpath", "--set-rpath", "/opt/forced/lib"),
                Edit.of("force-rpath add-rpath", "--force-rpath", "--add-rpath", NIX_RPATH),
                Edit.of("add-needed", "--add-needed", "libm.so.6"),
                Edit.of("add-needed two", "--add-needed", "libz.so.1", "--add-needed", "libdl.so.2"),
                Edit.of("remove-needed", "--remove-needed", "libc.so.6"),
                Edit.of("remove-needed absent", "--remove-needed", "libabsent.so.9"),
                Edit.of("replace-needed", "--replace-needed", "libc.so.6", "libc-other.so.6"),
                Edit.of("replace-needed longer", "--replace-needed", "libc.so.6",
                        "/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib/libc.so.6"),
                Edit.of("set-soname", "--set-soname", "libnew.so.1"),
                Edit.of("set-soname longer", "--set-soname", "libwith-a-much-longer-soname-than-before.so.1"),
                Edit.of("print-interpreter", "--print-interpreter"),
                Edit.of("print-rpath", "--print-rpath"),
                Edit.of("print-needed", "--print-needed"),
                Edit.of("print-soname", "--print-soname"),
                Edit.of("print-all", "--print-interpreter", "--print-soname", "--print-rpath", "--print-needed"),
                Edit.of("print while editing", "--print-rpath", "--print-needed", "--set-rpath", NIX_RPATH),
                new Edit("shrink-rpath after set-rpath", List.of("--set-rpath", SHRINK_INPUT),
                        List.of("--shrink-rpath")),
                new Edit("shrink-rpath allowed prefixes", List.of("--set-rpath", SHRINK_INPUT),
                        List.of("--shrink-rpath", "--allowed-rpath-prefixes", "/nowhere:/usr")));
    }

    /**
     * Directories for --shrink-rpath: host libraries in /usr/lib/x86_64-linux-gnu
     * and /usr/lib32 (which of them holds libc.so.6 of the file's machine decides), a directory that provides
     * nothing new after them, one that does not exist, and relative entries both tools keep.
     */
    static final String SHRINK_INPUT = "/nonexistent/lib:/usr/lib/x86_64-linux-gnu:$ORIGIN/../lib:/usr/lib32"
            + ":/usr/lib/x86_64-linux-gnu:relative/lib:/usr/lib";

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Subject subject : subjects()) {
            for (Edit edit : edits()) {
                all.add(Arguments.of(subject, edit));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void meansWhatPatchelfMeans(Subject subject, Edit edit, @TempDir Path dir) throws IOException {
        Path original = subject.file().get();
        Path theirs = copy(original, dir.resolve("patchelf"));
        Path ours = copy(original, dir.resolve("elfmend"));
        if (!edit.setup().isEmpty()) {
            assertEquals(0, Patchelf.debian(Patchelf.with(edit.setup(), theirs.toString())).exit());
            assertEquals(0, Patchelf.debian(Patchelf.with(edit.setup(), ours.toString())).exit());
        }
        byte[] before = Files.readAllBytes(ours);

        Processes.Result reference = Patchelf.debian(Patchelf.with(edit.args(), theirs.toString()));
        Processes.Result result = Patchelf.elfmend(Patchelf.with(edit.args(), ours.toString()));

        String context = subject + " " + edit.args() + "\npatchelf: " + reference + "\nelfmend:  " + result;
        assertEquals(reference.exit() == 0, result.exit() == 0, "both succeed or both fail: " + context);
        assertEquals(reference.out(), result.out(), "printed output: " + context);
        if (reference.exit() != 0) {
            assertArrayEquals(before, Files.readAllBytes(ours), "a failed edit leaves the file as it was");
            return;
        }
        assertEquals(ElfFacts.of(theirs), ElfFacts.of(ours), "readelf facts: " + context);
        printsAgree(theirs, ours, context);
        if (!subject.isLibrary()) {
            runsAlike(original, theirs, ours, context);
        }
    }

    /** A second edit on a file each tool already edited (and grew) still means the same. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void repeatedEditsOnGrownFilesMeanWhatPatchelfMeans(Subject subject, @TempDir Path dir) throws IOException {
        Path original = subject.file().get();
        List<List<String>> steps = new ArrayList<>(List.of(
                List.of("--set-rpath", NIX_RPATH),
                List.of("--set-rpath", "/short"),
                List.of("--add-needed", "libm.so.6"),
                List.of("--set-rpath", NIX_RPATH + ":" + NIX_RPATH.replace("lib:", "lib64:")),
                List.of("--replace-needed", "libc.so.6", "libc.so.6.renamed"),
                List.of("--remove-needed", "libm.so.6"),
                List.of("--force-rpath", "--add-rpath", "/opt/more"),
                List.of("--remove-rpath")));
        if (!subject.isLibrary()) {
            steps.add(0, List.of("--set-interpreter", NIX_LOADER));
            steps.add(List.of("--set-interpreter", NIX_LOADER + "/../../lib/ld-linux-x86-64.so.2"));
        } else {
            steps.add(List.of("--set-soname", "libsecond-soname-that-is-longer.so.7"));
        }
        Path theirs = copy(original, dir.resolve("patchelf"));
        Path ours = copy(original, dir.resolve("elfmend"));
        for (List<String> step : steps) {
            Processes.Result reference = Patchelf.debian(Patchelf.with(step, theirs.toString()));
            Processes.Result result = Patchelf.elfmend(Patchelf.with(step, ours.toString()));
            String context = subject + " after " + steps.subList(0, steps.indexOf(step) + 1) + "\npatchelf: "
                    + reference + "\nelfmend:  " + result;
            assertEquals(0, reference.exit(), context);
            assertEquals(0, result.exit(), context);
            assertEquals(ElfFacts.of(theirs), ElfFacts.of(ours), context);
            printsAgree(theirs, ours, context);
        }
    }

    /**
     * Deliberate difference: patchelf 0.14 loses edits when one call combines a --set-rpath that grows the
     * file with --add-needed, --replace-needed or --remove-needed (it left RUNPATH pointing at "libm.so.6",
     * dropped the replacement, kept the removed library).
     * One elfmend call must mean what patchelf means when each option is given in its own call, in the
     * order patchelf applies them (soname, interpreter, run path, remove, replace, add needed).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void oneCallWithManyEditsMeansPatchelfOneOptionAtATime(Subject subject, @TempDir Path dir) throws IOException {
        Path original = subject.file().get();
        List<List<String>> separately = new ArrayList<>();
        if (subject.isLibrary()) {
            separately.add(List.of("--set-soname", "libcombined.so.3"));
        } else {
            separately.add(List.of("--set-interpreter", NIX_LOADER));
        }
        separately.add(List.of("--set-rpath", NIX_RPATH));
        separately.add(List.of("--remove-needed", "libdoesnotexist.so.1"));
        separately.add(List.of("--replace-needed", "libc.so.6", "libc.so.6.x"));
        separately.add(List.of("--add-needed", "libm.so.6"));

        Path theirs = copy(original, dir.resolve("patchelf"));
        for (List<String> step : separately) {
            assertEquals(0, Patchelf.debian(Patchelf.with(step, theirs.toString())).exit(), step.toString());
        }
        Path ours = copy(original, dir.resolve("elfmend"));
        List<String> combined = new ArrayList<>();
        separately.forEach(combined::addAll);
        Processes.Result result = Patchelf.elfmend(Patchelf.with(combined, ours.toString()));
        assertEquals(0, result.exit(), result.toString());
        assertEquals(ElfFacts.of(theirs), ElfFacts.of(ours));
        printsAgree(theirs, ours, subject + " " + combined);
    }

    /**
     * Deliberate difference: patchelf adds a library that is already needed a second time; a second
     * DT_NEEDED for the same name means nothing to the loader, so elfmend leaves the file alone.
     */
    @Test
    void addingALibraryThatIsAlreadyNeededChangesNothing(@TempDir Path dir) throws IOException {
        Path original = Fixtures.compile("hello", Variant.PIE);
        Path theirs = copy(original, dir.resolve("patchelf"));
        Path ours = copy(original, dir.resolve("elfmend"));
        assertEquals(0, Patchelf.debian("--add-needed", "libc.so.6", theirs.toString()).exit());
        assertEquals(0, Patchelf.elfmend("--add-needed", "libc.so.6", ours.toString()).exit());

        assertEquals(List.of("libc.so.6", "libc.so.6"), Readelf.dynamic(theirs).needed(), "patchelf duplicates");
        assertEquals(List.of("libc.so.6"), Readelf.dynamic(ours).needed());
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(ours), "a no-op edit changes no byte");
    }

    /**
     * Deliberate difference: the linker stores "libc.so.6" as the tail of the run path string
     * "/opt/x/libc.so.6", so NEEDED points into the run path's bytes. patchelf 0.14 shortens the run path in
     * place and turns NEEDED into "XXXXXXXXX"; elfmend sees the shared bytes and writes the new run path
     * elsewhere, so the program still finds libc and runs.
     */
    @Test
    void runPathSharingItsBytesWithNeededIsNotOverwritten(@TempDir Path dir) throws IOException {
        Path original = dir.resolve("shared-suffix");
        Processes.runOk("gcc", "-Wl,--enable-new-dtags,-rpath,/opt/x/libc.so.6",
                Path.of("src/test/c/hello.c").toAbsolutePath().toString(), "-o", original.toString());
        Path theirs = copy(original, dir.resolve("patchelf"));
        Path ours = copy(original, dir.resolve("elfmend"));

        assertEquals(0, Patchelf.debian("--set-rpath", "/a", theirs.toString()).exit());
        assertEquals(0, Patchelf.elfmend("--set-rpath", "/a", ours.toString()).exit());

        assertEquals(List.of("XXXXXXXXX"), Readelf.dynamic(theirs).needed(), "patchelf 0.14 clobbers NEEDED");
        assertEquals(List.of("libc.so.6"), Readelf.dynamic(ours).needed());
        assertEquals("/a", Readelf.dynamic(ours).runpath().orElseThrow());
        assertEquals(Fixtures.HELLO_OUTPUT, Processes.runOk(ours.toString()).out());
    }

    /** Every print option, read by both tools, says the same about both results. */
    private static void printsAgree(Path theirs, Path ours, String context) {
        for (List<String> prints : List.of(List.of("--print-interpreter"),
                List.of("--print-soname", "--print-rpath", "--print-needed"))) {
            Processes.Result reference = Patchelf.debian(Patchelf.with(prints, theirs.toString()));
            Processes.Result oursByUs = Patchelf.elfmend(Patchelf.with(prints, ours.toString()));
            Processes.Result oursByPatchelf = Patchelf.debian(Patchelf.with(prints, ours.toString()));
            String what = prints + " after " + context;
            assertEquals(reference.exit() == 0, oursByUs.exit() == 0, what + "\n" + oursByUs);
            assertEquals(reference.out(), oursByUs.out(), "elfmend on its file vs patchelf on its file: " + what);
            assertEquals(reference.exit(), oursByPatchelf.exit(), what + "\n" + oursByPatchelf);
            assertEquals(reference.out(), oursByPatchelf.out(), "patchelf reading elfmend's file: " + what);
        }
    }

    /** When the original and patchelf's result run, ours runs with the same exit status and output. */
    private static void runsAlike(Path original, Path theirs, Path ours, String context) {
        Processes.Result before = run(original);
        Processes.Result reference = run(theirs);
        if (before.exit() != 0 || reference.exit() != 0) {
            return;
        }
        Processes.Result result = run(ours);
        assertEquals(reference.exit(), result.exit(), "exit status: " + context + "\n" + result);
        assertEquals(reference.out(), result.out(), "output: " + context);
    }

    /** Runs {@code file}; an exec that fails (its interpreter does not exist) counts as exit 127. */
    private static Processes.Result run(Path file) {
        try {
            return Processes.run(file.toString());
        } catch (java.io.UncheckedIOException e) {
            return new Processes.Result(127, "", e.getMessage());
        }
    }

    static Path copy(Path original, Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.copy(original, dir.resolve(original.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
    }
}
