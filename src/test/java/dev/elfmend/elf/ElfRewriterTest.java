package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.ElfPatcher;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rewriting engine judged by running what it wrote: libraries found only through the run paths it set,
 * a loader found only at the long path it set, trailing payloads that survive growth, edits that fit staying
 * in place, and files it must refuse refused with a reason.
 */
class ElfRewriterTest {

    private static final String NIX_RPATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib/lib"
            + ":/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib";

    /** The chain executable and its two libraries, each in a deep directory of its own no default path names. */
    private record Scattered(Path executable, Path libfoo, Path libbar) {
        static Scattered of(Path executable, Path dir) {
            Fixtures.Chain chain = Fixtures.chain();
            Path exe = Binaries.copy(executable, dir.resolve("bin"));
            Path foo = Binaries.copy(chain.libfoo(), Binaries.longDirectory(dir.resolve("foo"), 150));
            Path bar = Binaries.copy(chain.libbar(), Binaries.longDirectory(dir.resolve("bar"), 150));
            return new Scattered(exe, foo, bar);
        }

        /** libfoo's directory relative to the executable's, for a $ORIGIN entry. */
        String originToFoo() {
            return "$ORIGIN/" + executable.getParent().relativize(libfoo.getParent());
        }
    }

    private static Path chainExecutable(boolean pie, Path dir) {
        return pie ? Fixtures.chain().executable() : Binaries.chainNoPie(dir);
    }

    @ParameterizedTest(name = "pie={0}")
    @ValueSource(booleans = {true, false})
    void runpathOnEachObjectFindsTheChain(boolean pie, @TempDir Path dir) {
        Scattered s = Scattered.of(chainExecutable(pie, dir), dir);
        assertEquals(127, Binaries.run(s.executable()).exit(), "without a run path the loader must fail");

        Binaries.patch(s.executable(), ElfEdits.builder().runPath(s.originToFoo()).build());
        Binaries.patch(s.libfoo(), ElfEdits.builder().runPath(s.libbar().getParent().toString()).build());

        Processes.Result result = Binaries.run(s.executable());
        assertEquals(0, result.exit(), result.err());
        assertEquals(Fixtures.Chain.OUTPUT, result.out());
        assertEquals(s.originToFoo(), Readelf.dynamic(s.executable()).runpath().orElseThrow());
        assertTrue(Readelf.dynamic(s.executable()).rpath().isEmpty());
    }

    /** DT_RUNPATH serves only the object's own needs: the executable's cannot find libfoo's libbar. */
    @ParameterizedTest(name = "pie={0}")
    @ValueSource(booleans = {true, false})
    void runpathOnTheExecutableAloneDoesNotServeLibfoo(boolean pie, @TempDir Path dir) {
        Scattered s = Scattered.of(chainExecutable(pie, dir), dir);
        Binaries.patch(s.executable(), ElfEdits.builder()
                .runPath(s.originToFoo() + ":" + s.libbar().getParent()).build());

        Processes.Result result = Binaries.run(s.executable());
        assertEquals(127, result.exit());
        assertTrue(result.err().contains("libbar.so.1"), result.err());
    }

    /** DT_RPATH of the executable also serves the needs of the libraries it loads. */
    @ParameterizedTest(name = "pie={0}")
    @ValueSource(booleans = {true, false})
    void rpathOnTheExecutableServesTheWholeChain(boolean pie, @TempDir Path dir) {
        Scattered s = Scattered.of(chainExecutable(pie, dir), dir);
        Binaries.patch(s.executable(), ElfEdits.builder().runPath(s.originToFoo() + ":" + s.libbar().getParent())
                .runPathTag(ElfEdits.RunPathTag.RPATH).build());

        Processes.Result result = Binaries.run(s.executable());
        assertEquals(0, result.exit(), result.err());
        assertEquals(Fixtures.Chain.OUTPUT, result.out());
        assertTrue(Readelf.dynamic(s.executable()).runpath().isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"PIE", "NO_PIE", "RUNPATH", "RPATH", "SEPARATE_CODE",
        "NOSEPARATE_CODE", "PIE_32", "NO_PIE_32"})
    void loaderAtALongPathIsTheOneThatRuns(Variant variant, @TempDir Path dir) {
        Path fixture = Fixtures.compile("hello", variant);
        Path exe = Binaries.copy(fixture, dir.resolve("bin"));
        Path loader = Binaries.hostLoaderCopy(fixture, Binaries.longDirectory(dir.resolve("very/long"), 220));

        Binaries.patch(exe, ElfEdits.builder().interpreter(loader.toString()).build());

        assertEquals(loader.toString(), Readelf.programHeaders(exe).interpreter().orElseThrow());
        Processes.Result result = Binaries.run(exe);
        assertEquals(0, result.exit(), result.err());
        assertEquals(Fixtures.HELLO_OUTPUT, result.out());
        // The proof that it is our loader: with it gone, the kernel cannot start the program.
        try {
            Files.delete(loader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(127, Binaries.run(exe).exit());
    }

    /** Loader, run path on the executable and on libfoo, all in one call each, PIE and not. */
    @ParameterizedTest(name = "pie={0}")
    @ValueSource(booleans = {true, false})
    void chainRunsWithLongLoaderAndRunpathsInOneEdit(boolean pie, @TempDir Path dir) {
        Scattered s = Scattered.of(chainExecutable(pie, dir), dir);
        Path loader = Binaries.hostLoaderCopy(s.executable(), Binaries.longDirectory(dir.resolve("loader"), 200));

        ElfPatcher.Result result = Binaries.patch(s.executable(), ElfEdits.builder().interpreter(loader.toString())
                .runPath(s.libfoo().getParent() + ":" + NIX_RPATH).build());
        Binaries.patch(s.libfoo(), ElfEdits.builder().runPath("$ORIGIN/" + s.libfoo().getParent()
                .relativize(s.libbar().getParent())).build());

        assertTrue(result.changed());
        Processes.Result run = Binaries.run(s.executable());
        assertEquals(0, run.exit(), run.err());
        assertEquals(Fixtures.Chain.OUTPUT, run.out());
    }

    /** Edits that fit (shorter interpreter, shorter run path) are made in place: same size, still runs. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"RUNPATH", "RPATH", "PIE_32"})
    void editsThatFitStayInPlace(Variant variant, @TempDir Path dir) throws IOException {
        Path fixture = Fixtures.compile("hello", variant);
        Path exe = Binaries.copy(fixture, dir.resolve("bin"));
        Path loader = Binaries.hostLoaderCopy(fixture, dir.resolve("l"));
        // A path shorter than /lib64/ld-linux-x86-64.so.2 and /lib/ld-linux.so.2 without a 2-level temp dir.
        Path shortLink = shortSymlinkTo(loader);
        try {
            ElfEdits.Builder edits = ElfEdits.builder().interpreter(shortLink.toString());
            if (variant != Variant.PIE_32) {
                edits.runPath("$ORIGIN");
            }
            ElfPatcher.Result result = Binaries.patch(exe, edits.build());

            assertTrue(result.changed());
            assertEquals(Files.size(fixture), Files.size(exe), "nothing had to grow");
            assertEquals(shortLink.toString(), Readelf.programHeaders(exe).interpreter().orElseThrow());
            Processes.Result run = Binaries.run(exe);
            assertEquals(0, run.exit(), run.err());
            assertEquals(Fixtures.HELLO_OUTPUT, run.out());
        } finally {
            Files.deleteIfExists(shortLink);
        }
    }

    /** A run path shortened in place leaves no fragment of the old one (Nix scans files for store paths). */
    @Test
    void runPathShortenedInPlaceLeavesNoTraceOfTheOldOne(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.RUNPATH), dir);
        long size = Files.size(exe);

        Binaries.patch(exe, ElfEdits.builder().runPath("/a").build());

        assertEquals(size, Files.size(exe));
        String bytes = new String(Files.readAllBytes(exe), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains("elfmend-fixture"), "the old run path's tail is gone");
        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(exe).out());
    }

    /**
     * The linker stores DT_FILTER's "libfilt.so.1" as the tail of the run path "/opt/x/libfilt.so.1". The run
     * path cannot be rewritten in place without changing the filter, so it is written elsewhere.
     */
    @Test
    void filterSharingTheRunPathsBytesIsKept(@TempDir Path dir) {
        Path lib = dir.resolve("libflt.so.1");
        Processes.runOk("gcc", "-shared", "-fPIC", "-Wl,-soname,libflt.so.1", "-Wl,-F,libfilt.so.1",
                "-Wl,--enable-new-dtags,-rpath,/opt/x/libfilt.so.1",
                Path.of("src/test/c/greet.c").toAbsolutePath().toString(), "-o", lib.toString());

        Binaries.patch(lib, ElfEdits.builder().runPath("/a").build());

        Readelf.Dynamic dynamic = Readelf.dynamic(lib);
        assertEquals("/a", dynamic.runpath().orElseThrow());
        assertEquals(List.of("Filter library: [libfilt.so.1]"), dynamic.entries().get("FILTER"));
    }

    /** Bytes after every section and segment (single-executable payloads) keep their distance to the end. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"PIE", "NO_PIE", "NOSEPARATE_CODE", "PIE_32", "NO_PIE_32"})
    void trailingPayloadSurvivesGrowthAtTheEnd(Variant variant, @TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", variant), dir);
        byte[] payload = new byte[12_345];
        new Random(variant.ordinal()).nextBytes(payload);
        Files.write(exe, payload, StandardOpenOption.APPEND);
        long before = Files.size(exe);

        Binaries.patch(exe, ElfEdits.builder().runPath(NIX_RPATH).addNeeded("libm.so.6").build());
        assertTrue(Files.size(exe) > before, "the edit had to grow the file");
        assertPayloadAtEnd(exe, payload);
        Binaries.patch(exe, ElfEdits.builder().runPath(NIX_RPATH + ":" + NIX_RPATH.replace("/lib", "/lib64"))
                .removeNeeded("libm.so.6").build());
        assertPayloadAtEnd(exe, payload);

        try (FileChannel ch = FileChannel.open(exe)) {
            assertEquals(payload.length, ElfReader.read(ByteSources.of(ch)).trailingPayloadSize(),
                    "our reader still sees exactly the payload after the content");
        }
        Processes.Result run = Binaries.run(exe);
        assertEquals(0, run.exit(), run.err());
        assertEquals(Fixtures.HELLO_OUTPUT, run.out());
    }

    /** A payload appended to a file elfmend already grew stays at the end when the segment is rebuilt. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"PIE", "NO_PIE"})
    void payloadAppendedAfterGrowthSurvivesRebuilding(Variant variant, @TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", variant), dir);
        Binaries.patch(exe, ElfEdits.builder().runPath(NIX_RPATH).build());
        byte[] payload = new byte[3000];
        new Random(42).nextBytes(payload);
        Files.write(exe, payload, StandardOpenOption.APPEND);

        Binaries.patch(exe, ElfEdits.builder().runPath(NIX_RPATH + ":" + "/x".repeat(300)).addNeeded("libm.so.6")
                .build());
        assertPayloadAtEnd(exe, payload);
        Binaries.patch(exe, ElfEdits.builder().runPath("/short").build());
        assertPayloadAtEnd(exe, payload);

        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(exe).out());
    }

    /** Without section headers, edits that fit are made through the program headers; growing is refused. */
    @Test
    void fileWithoutSectionHeadersIsEditedInPlaceOrRefusedWithAReason(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.RUNPATH), dir);
        dropSectionHeaders(exe);
        assertEquals(0, Readelf.header(exe).shnum());

        Binaries.patch(exe, ElfEdits.builder().runPath("$ORIGIN").build());
        assertEquals("$ORIGIN", Readelf.dynamic(exe).runpath().orElseThrow());
        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(exe).out());

        byte[] before = Files.readAllBytes(exe);
        IOException refused = assertThrows(IOException.class, () -> new ElfPatcher(null).patch(exe,
                ElfEdits.builder().runPath(NIX_RPATH).interpreter("/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc/lib/ld.so").build()));
        assertTrue(refused.getMessage().contains("section headers"), refused.getMessage());
        assertArrayEquals(before, Files.readAllBytes(exe));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"STATIC", "STATIC_PIE"})
    void staticExecutablesAreRefusedWithAReason(Variant variant, @TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", variant), dir);
        byte[] before = Files.readAllBytes(exe);

        IOException interp = assertThrows(IOException.class, () -> new ElfPatcher(null).patch(exe,
                ElfEdits.builder().interpreter("/lib64/ld-linux-x86-64.so.2").build()));
        assertTrue(interp.getMessage().contains("interpreter"), interp.getMessage());
        if (variant == Variant.STATIC) {
            IOException rpath = assertThrows(IOException.class, () -> new ElfPatcher(null).patch(exe,
                    ElfEdits.builder().runPath("/x").build()));
            assertTrue(rpath.getMessage().contains("statically linked"), rpath.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(exe));
    }

    /** The planner alone, in memory: no edit means no operation, and the file is not even copied. */
    @Test
    void editThatChangesNothingPlansNothing() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.compile("hello", Variant.RUNPATH));
        ElfFile elf = ElfReader.read(ByteSources.of(bytes));
        Rewrite rewrite = ElfRewriter.plan(elf, ByteSources.of(bytes), ElfEdits.builder()
                .interpreter(elf.interpreter().orElseThrow()).runPath(Fixtures.SEARCH_PATH)
                .addNeeded("libc.so.6").removeNeeded("libnothere.so").build());
        assertTrue(rewrite.isNoop(), rewrite.changes().toString());
        assertTrue(rewrite.ops().isEmpty());
        assertArrayEquals(bytes, Rewrites.applyTo(bytes, rewrite));
    }

    /** A new symlink {@code /tmp/em-XXXXXX} (13 characters) to {@code target}; never replaces an existing one. */
    private static Path shortSymlinkTo(Path target) throws IOException {
        Random random = new Random();
        while (true) {
            Path link = Path.of("/tmp", String.format("em-%06x", random.nextInt(1 << 24)));
            try {
                return Files.createSymbolicLink(link, target);
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // another run's link; try another name
            }
        }
    }

    private static void assertPayloadAtEnd(Path file, byte[] payload) throws IOException {
        byte[] all = Files.readAllBytes(file);
        byte[] tail = Arrays.copyOfRange(all, all.length - payload.length, all.length);
        assertArrayEquals(payload, tail, "payload is the last " + payload.length + " bytes");
        assertFalse(Arrays.equals(payload, Arrays.copyOfRange(all, 0, payload.length)));
    }

    /** e_shoff, e_shnum and e_shstrndx to zero, as sstrip-like tools leave files. */
    static void dropSectionHeaders(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer ident = ByteBuffer.allocate(6);
            ch.read(ident, 0);
            boolean is64 = ident.get(4) == 2;
            ByteOrder order = ident.get(5) == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            ByteBuffer zeros = ByteBuffer.allocate(is64 ? 8 : 4).order(order);
            ch.write(zeros, is64 ? 0x28 : 0x20);
            ch.write(ByteBuffer.allocate(2), is64 ? 0x3c : 0x30);
            ch.write(ByteBuffer.allocate(2), is64 ? 0x3e : 0x32);
        }
    }
}
