package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real foreign binaries from npm and Maven Central. The x86 ones are patched to a Nix-store-shaped directory
 * built from the host's glibc and gcc runtime and must run from it (the loader's own log shows the libraries
 * came from the store); the other machines (aarch64, big-endian s390x, ppc64le) are patched the same way and
 * must be read back identically by our reader and readelf, with sane program headers.
 */
class RealBinaryRewriteTest {

    private static final String GLIBC = "0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66";
    private static final String GCC = "0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib";

    /** Copies of the host's loader and libraries under {@code <root>/nix/store/<hash>-<name>/lib}. */
    private record Store(Path loader, Path glibc, Path gcc) {
        String runPath() {
            return glibc + ":" + gcc;
        }

        static Store of(Path root, boolean m32) throws IOException {
            Path hostLibs = Path.of(m32 ? "/usr/lib32" : "/lib/x86_64-linux-gnu");
            Path hostLoader = Path.of(m32 ? "/lib/ld-linux.so.2" : "/lib64/ld-linux-x86-64.so.2");
            Path glibc = Files.createDirectories(root.resolve("nix/store").resolve(GLIBC).resolve("lib"));
            Path gcc = Files.createDirectories(root.resolve("nix/store").resolve(GCC).resolve("lib"));
            Path loader = Files.copy(hostLoader, glibc.resolve(hostLoader.getFileName()));
            for (String lib : List.of("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1")) {
                Files.copy(hostLibs.resolve(lib), glibc.resolve(lib));
            }
            for (String lib : List.of("libstdc++.so.6", "libgcc_s.so.1")) {
                Files.copy(hostLibs.resolve(lib), gcc.resolve(lib));
            }
            return new Store(loader, glibc, gcc);
        }
    }

    @Test
    void nodeX64RunsFromANixShapedStore(@TempDir Path dir) throws IOException {
        Path node = Binaries.copy(RegistryBinaries.nodeLinux("x64"), dir.resolve("bin"));
        Store store = Store.of(dir, false);
        ElfFacts before = ElfFacts.of(node);
        // As DESIGN.md says for a store built from host copies: the gcc runtime finds glibc through its own
        // RUNPATH. These are real host libraries (libstdc++ is 2 MB of C++) patched by the same engine.
        for (String lib : List.of("libstdc++.so.6", "libgcc_s.so.1")) {
            Binaries.patch(store.gcc().resolve(lib), ElfEdits.builder().runPath("$ORIGIN:" + store.glibc()).build());
        }
        Path libc = store.glibc().resolve("libc.so.6");
        Binaries.patch(libc, ElfEdits.builder().interpreter(store.loader().toString()).runPath(store.glibc()
                .toString()).build());
        Processes.Result libcRuns = Binaries.run(libc);
        assertEquals(0, libcRuns.exit(), "libc.so.6 is executable and now names the store's loader");
        assertTrue(libcRuns.out().startsWith("GNU C Library"), libcRuns.out());

        Binaries.patch(node, ElfEdits.builder().interpreter(store.loader().toString()).runPath(store.runPath())
                .build());

        Processes.Result version = Binaries.run(node, "--version");
        assertEquals(0, version.exit(), version.err());
        assertTrue(version.out().startsWith("v22."), version.out());
        Processes.Result traced = Processes.command(node.toString(), "-e", "0").env("LD_DEBUG", "libs")
                .env("LD_LIBRARY_PATH", "").run();
        assertEquals(0, traced.exit(), traced.err());
        assertLoadedFrom(traced.err(), store.gcc().resolve("libstdc++.so.6"), store.gcc().resolve("libgcc_s.so.1"),
                store.glibc().resolve("libc.so.6"), store.glibc().resolve("libm.so.6"));
        assertReadBackAsAsked(node, before, store.loader().toString(), store.runPath());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"linux-x86_64", "linux-x86_32"})
    void protocRunsFromANixShapedStore(String classifier, @TempDir Path dir) throws IOException {
        Path protoc = Binaries.copy(RegistryBinaries.protoc(classifier), dir.resolve("bin"));
        Store store = Store.of(dir, classifier.endsWith("32"));
        ElfFacts before = ElfFacts.of(protoc);

        Binaries.patch(protoc, ElfEdits.builder().interpreter(store.loader().toString()).runPath(store.runPath())
                .build());

        Processes.Result traced = Processes.command(protoc.toString(), "--version").env("LD_DEBUG", "libs")
                .env("LD_LIBRARY_PATH", "").run();
        assertEquals(0, traced.exit(), traced.err());
        assertEquals("libprotoc " + RegistryBinaries.PROTOC_DYNAMIC + "\n", traced.out());
        assertLoadedFrom(traced.err(), store.gcc().resolve("libstdc++.so.6"), store.glibc().resolve("libc.so.6"));
        assertReadBackAsAsked(protoc, before, store.loader().toString(), store.runPath());
    }

    /**
     * sharp's libvips-cpp (19 MB, code right after its program headers, so the table itself has to move) is
     * patched, then dlopen'ed by a small program that initialises libvips and asks its version.
     */
    @Test
    void sharpLibvipsIsLoadedAndWorksAfterGrowing(@TempDir Path dir) throws IOException {
        Path lib = Binaries.copy(RegistryBinaries.sharpLibvips(), dir.resolve("lib"));
        Path program = Binaries.vipsProgram(dir);
        String expected = Binaries.run(program, RegistryBinaries.sharpLibvips().toString()).out();
        assertTrue(expected.startsWith("vips 8."), expected);
        ElfFacts before = ElfFacts.of(lib);
        String runPath = "$ORIGIN/:/nix/store/" + GLIBC + "/lib:/nix/store/" + GCC + "/lib";

        Binaries.patch(lib, ElfEdits.builder().runPath(runPath).soname("libvips-cpp.so.42").build());

        Processes.Result run = Binaries.run(program, lib.toString());
        assertEquals(0, run.exit(), run.err());
        assertEquals(expected, run.out());
        ElfFacts after = ElfFacts.of(lib);
        assertEquals(Optional.of("libvips-cpp.so.42"), after.soname());
        assertEquals(before.withRunpath(runPath).needed(), after.needed());
        assertEquals(Optional.of(runPath), after.runpath());
        try (FileChannel channel = FileChannel.open(lib)) {
            assertEquals(List.of(), LayoutCheck.check(ElfReader.read(ByteSources.of(channel)), null));
        }
        List<String> added = new ArrayList<>(LayoutCheckTest.elflint(lib));
        added.removeAll(LayoutCheckTest.elflint(RegistryBinaries.sharpLibvips()));
        assertEquals(List.of(), added, "new eu-elflint messages");
    }

    static Stream<Arguments> foreignMachines() {
        List<Arguments> all = new ArrayList<>();
        for (String arch : List.of("arm64", "s390x", "ppc64le")) {
            all.add(Arguments.of("node-linux-" + arch, (Fetch) () -> RegistryBinaries.nodeLinux(arch)));
        }
        for (String classifier : List.of("linux-aarch_64", "linux-ppcle_64", "linux-s390_64")) {
            all.add(Arguments.of("protoc " + classifier, (Fetch) () -> RegistryBinaries.protoc(classifier)));
        }
        return all.stream();
    }

    /** Downloads (or finds in the cache) one binary. */
    @FunctionalInterface
    interface Fetch {
        Path get();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("foreignMachines")
    void foreignMachinesAreReadBackConsistently(String name, Fetch fetch, @TempDir Path dir) throws IOException {
        Path file = Binaries.copy(fetch.get(), dir);
        ElfFacts before = ElfFacts.of(file);
        String loaderName = Path.of(before.interpreter().orElseThrow()).getFileName().toString();
        String loader = "/nix/store/" + GLIBC + "/lib/" + loaderName;
        String runPath = "/nix/store/" + GLIBC + "/lib:/nix/store/" + GCC + "/lib";
        List<String> lintBefore = LayoutCheckTest.elflint(file);

        Binaries.patch(file, ElfEdits.builder().interpreter(loader).runPath(runPath).build());

        assertReadBackAsAsked(file, before, loader, runPath);
        List<String> added = new ArrayList<>(LayoutCheckTest.elflint(file));
        added.removeAll(lintBefore);
        assertEquals(List.of(), added, "new eu-elflint messages");

        // A second edit reuses the segment the first one added.
        long size = Files.size(file);
        Binaries.patch(file, ElfEdits.builder().interpreter(loader.replace("glibc-2.40", "glibc-2.41"))
                .runPath(runPath + ":/nix/store/" + GCC.replace("13.3", "14.2") + "/lib").build());
        assertEquals(Readelf.programHeaders(file).ofType("LOAD").size(),
                Readelf.programHeaders(Path.of(fetch.get().toString())).ofType("LOAD").size() + 1);
        assertTrue(Files.size(file) - size < 4096, "re-patching grew by " + (Files.size(file) - size));
    }

    /** readelf and our reader both see what was asked, nothing else changed, and the layout is sound. */
    private static void assertReadBackAsAsked(Path file, ElfFacts before, String loader, String runPath)
            throws IOException {
        ElfFacts after = ElfFacts.of(file);
        assertEquals(before.withInterpreter(loader).withRunpath(runPath), after);
        try (FileChannel channel = FileChannel.open(file)) {
            ElfFile elf = ElfReader.read(ByteSources.of(channel));
            assertEquals(Optional.of(loader), elf.interpreter());
            assertEquals(Optional.of(runPath), elf.runPath());
            assertEquals(Optional.empty(), elf.rPath());
            assertEquals(after.needed(), elf.needed());
            assertEquals(List.of(), LayoutCheck.check(elf, null));
            assertTrue(elf.hasElfmendSegment());
        }
        assertProgramHeadersSane(file);
    }

    /** PT_LOADs in address order, not overlapping, offsets congruent to addresses; PT_PHDR loaded where it says. */
    private static void assertProgramHeadersSane(Path file) {
        Readelf.Header header = Readelf.header(file);
        Readelf.ProgramHeaders phdrs = Readelf.programHeaders(file);
        List<Readelf.Segment> loads = phdrs.ofType("LOAD");
        long maxAlign = loads.stream().mapToLong(Readelf.Segment::align).max().orElseThrow();
        long previousEnd = 0;
        for (Readelf.Segment load : loads) {
            assertEquals(0, Math.floorMod(load.offset() - load.vaddr(), load.align()), "congruence of " + load);
            assertTrue(load.vaddr() >= previousEnd, "loads in order, not overlapping: " + loads);
            previousEnd = load.vaddr() + load.memsz();
        }
        assertEquals(maxAlign, loads.getLast().align(), "the added segment uses the largest alignment");
        for (Readelf.Segment phdr : phdrs.ofType("PHDR")) {
            assertEquals(header.phoff(), phdr.offset());
            Readelf.Segment first = loads.getFirst();
            assertTrue(first.offset() <= phdr.offset() && phdr.offset() + phdr.filesz() <= first.offset()
                    + first.filesz(), "PT_PHDR inside the first PT_LOAD");
            assertEquals(first.vaddr() - first.offset(), phdr.vaddr() - phdr.offset());
        }
    }

    private static void assertLoadedFrom(String loaderLog, Path... libraries) {
        for (Path library : libraries) {
            assertTrue(loaderLog.contains("calling init: " + library), library + " not loaded from the store:\n"
                    + loaderLog.lines().filter(l -> l.contains("calling init")).toList());
        }
    }
}
