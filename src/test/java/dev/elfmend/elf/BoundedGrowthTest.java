package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Re-patching a file elfmend grew reuses its segment: 100 successive edits, cycling through interpreter and
 * run path lengths and adding and removing a library, stay within the bound README.md states, repeat the
 * same sizes once the cycle repeats (nothing accumulates), and leave a program that runs.
 */
class BoundedGrowthTest {

    private static final int EDITS = 100;
    /** Every edit pattern below repeats after this many steps. */
    private static final int PERIOD = 10;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Variant.class, names = {"PIE", "NO_PIE", "RPATH", "NOSEPARATE_CODE", "PIE_32", "NO_PIE_32"})
    void hundredEditsStayWithinTheStatedBound(Variant variant, @TempDir Path dir) throws IOException {
        Path fixture = Fixtures.compile("hello", variant);
        Path exe = Binaries.copy(fixture, dir.resolve("bin"));
        List<Path> loaders = new ArrayList<>();
        for (int length : new int[] {40, 90, 160, 250, 60}) {
            loaders.add(Binaries.hostLoaderCopy(fixture, Binaries.longDirectory(dir.resolve("l" + length), length)));
        }
        long original = Files.size(exe);
        long originalStrsz = strsz(exe);
        int entrySize = Readelf.header(exe).elfClass().equals("ELF64") ? 16 : 8;

        long[] sizes = new long[EDITS];
        long worstSlack = Long.MAX_VALUE;
        for (int step = 0; step < EDITS; step++) {
            ElfEdits.Builder edits = ElfEdits.builder();
            Path loader = loaders.get(step / 2 % loaders.size());
            if (step % 2 == 0) {
                edits.interpreter(loader.toString());
            }
            String runPath = "/run/path/" + "r".repeat(step * 37 % PERIOD * 15);
            edits.runPath(runPath);
            boolean addsLibm = step % 2 == 0;
            if (addsLibm) {
                edits.addNeeded("libm.so.6");
            } else {
                edits.removeNeeded("libm.so.6");
            }
            Binaries.patch(exe, edits.build());
            sizes[step] = Files.size(exe);

            long bound = readmeBound(exe, original, originalStrsz, entrySize, runPath, addsLibm);
            assertTrue(sizes[step] <= bound, "step " + step + ": " + sizes[step] + " bytes, bound " + bound);
            worstSlack = Math.min(worstSlack, bound - sizes[step]);
        }
        for (int step = 2 * PERIOD; step < EDITS; step++) {
            assertEquals(sizes[step - PERIOD], sizes[step], "step " + step + " repeats step " + (step - PERIOD)
                    + "'s edit and must have its size: " + Arrays.toString(sizes));
        }
        long maxGrowth = Arrays.stream(sizes).max().orElseThrow() - original;
        System.out.printf("%s: original %d bytes, growth after 1 edit %d, max growth over %d edits %d, "
                + "after the last %d, smallest distance to the README bound %d%n", variant, original,
                sizes[0] - original, EDITS, maxGrowth, sizes[EDITS - 1] - original, worstSlack);

        // The last step set a real loader; make it the current one, then run.
        Binaries.patch(exe, ElfEdits.builder().interpreter(loaders.get(3).toString()).build());
        Processes.Result run = Binaries.run(exe);
        assertEquals(0, run.exit(), run.err());
        assertEquals(Fixtures.HELLO_OUTPUT, run.out());
        assertEquals(loaders.get(3).toString(), Readelf.programHeaders(exe).interpreter().orElseThrow());
    }

    /**
     * sharp's libvips-cpp: code follows its program headers, so the table itself lives in elfmend's segment;
     * repeated edits still stay within the bound and repeat their sizes, and the library still loads.
     */
    @org.junit.jupiter.api.Test
    void hundredEditsOnALibraryWhoseProgramHeadersMoved(@TempDir Path dir) throws IOException {
        Path lib = Binaries.copy(RegistryBinaries.sharpLibvips(), dir.resolve("lib"));
        Path program = Binaries.vipsProgram(dir);
        String expected = Binaries.run(program, lib.toString()).out();
        assertTrue(expected.startsWith("vips "), expected);
        long original = Files.size(lib);
        long originalStrsz = strsz(lib);
        long[] sizes = new long[EDITS];
        long worstSlack = Long.MAX_VALUE;
        for (int step = 0; step < EDITS; step++) {
            String runPath = "$ORIGIN/:/run/path/" + "r".repeat(step * 37 % PERIOD * 15);
            ElfEdits.Builder edits = ElfEdits.builder().runPath(runPath);
            boolean adds = step % 2 == 0;
            if (adds) {
                edits.addNeeded("libm.so.6").soname("libvips-cpp.so." + "9".repeat(step % 5 + 1));
            } else {
                edits.removeNeeded("libresolv.so.2").addNeeded("libresolv.so.2");
            }
            Binaries.patch(lib, edits.build());
            sizes[step] = Files.size(lib);
            // The moved program header table counts as moved block; a new soname is a new string.
            long bound = readmeBound(lib, original, originalStrsz, 16, runPath, false)
                    + (long) Readelf.header(lib).phnum() * 56 + bytes("libvips-cpp.so.99999");
            assertTrue(sizes[step] <= bound, "step " + step + ": " + sizes[step] + " bytes, bound " + bound);
            worstSlack = Math.min(worstSlack, bound - sizes[step]);
        }
        for (int step = 2 * PERIOD; step < EDITS; step++) {
            assertEquals(sizes[step - PERIOD], sizes[step], "step " + step + ": " + Arrays.toString(sizes));
        }
        System.out.printf("libvips-cpp: original %d bytes, growth after 1 edit %d, max growth over %d edits %d, "
                + "smallest distance to the bound %d%n", original, sizes[0] - original, EDITS,
                Arrays.stream(sizes).max().orElseThrow() - original, worstSlack);
        try (FileChannel channel = FileChannel.open(lib)) {
            assertEquals(List.of(), LayoutCheck.check(ElfReader.read(ByteSources.of(channel)), null));
        }
        Processes.Result run = Binaries.run(program, lib.toString());
        assertEquals(0, run.exit(), run.err());
        assertEquals(expected, run.out());
    }

    /**
     * README.md, "How elfmend edits a file": original size + 32 + size of the moved block + interpreter length
     * + dynamic string table size + new strings + (dynamic entries + 5) × entry size + 8.
     */
    private static long readmeBound(Path exe, long original, long originalStrsz, int entrySize, String runPath,
                                    boolean libm) throws IOException {
        String interpreter = Readelf.programHeaders(exe).interpreter().orElse("");
        long newStrings = bytes(runPath) + (libm ? bytes("libm.so.6") : 0);
        int entries = Readelf.dynamic(exe).entries().values().stream().mapToInt(List::size).sum();
        return original + 32 + movedBlock(exe) + bytes(interpreter) + originalStrsz + newStrings
                + (long) (entries + 5) * entrySize + 8;
    }

    /** Bytes of the sections elfmend moved to make room for a program header: inside its segment, not rebuilt. */
    private static long movedBlock(Path exe) throws IOException {
        try (FileChannel channel = FileChannel.open(exe)) {
            ElfFile elf = ElfReader.read(ByteSources.of(channel));
            for (ProgramHeader p : elf.programHeaders()) {
                ByteBuffer head = ByteBuffer.allocate(ElfmendSegment.MAGIC.length);
                if (p.type() != ProgramHeader.PT_LOAD || p.filesz() < head.capacity()
                        || channel.read(head, p.offset()) != head.capacity()
                        || !Arrays.equals(ElfmendSegment.MAGIC, head.array())) {
                    continue;
                }
                long start = Long.MAX_VALUE;
                long end = 0;
                for (SectionHeader s : elf.sectionHeaders()) {
                    boolean rebuilt = s.name().equals(".interp") || s.name().equals(".dynstr")
                            || s.name().equals(".dynamic");
                    if (!rebuilt && s.size() > 0 && s.offset() >= p.offset() && s.offset() < p.fileEnd()) {
                        start = Math.min(start, s.offset());
                        end = Math.max(end, s.fileEnd());
                    }
                }
                return end > start ? end - start : 0;
            }
            return 0;
        }
    }

    private static long strsz(Path exe) {
        String value = Readelf.dynamic(exe).entries().get("STRSZ").getFirst();
        return Long.parseLong(value.split(" ")[0]);
    }

    private static long bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length + 1;
    }
}
