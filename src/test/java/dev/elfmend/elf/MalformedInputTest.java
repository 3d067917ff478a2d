package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Truncated, bit-flipped and garbage input: the reader answers or throws {@link ElfFormatException},
 * never anything else, and never hangs. Truncation removes bytes without changing any, so whenever a
 * truncated file still parses, it must say what the whole file says.
 */
class MalformedInputTest {

    private static final long SEED = 0x5eed_e1f0L;

    /** What a user asks inspect about; a truncated file that parses must give the same. */
    record Answer(ElfHeader header, Optional<String> interpreter, List<String> needed, Optional<String> runPath,
                  Optional<String> rPath, Optional<String> soname, List<VersionNeed> versionNeeds,
                  List<VersionDefinition> versionDefinitions) {
        static Answer of(ElfFile elf) {
            return new Answer(elf.header(), elf.interpreter(), elf.needed(), elf.runPath(), elf.rPath(),
                    elf.soname(), elf.versionNeeds(), elf.versionDefinitions());
        }
    }

    @Test
    void fixtureTruncatedAtEveryLengthFailsCleanlyOrAgrees() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.glibcVersioned());
        Answer whole = (Answer) outcome("whole file", ByteSources.of(bytes));
        int parsed = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int ok = 0;
            for (int length = 0; length < bytes.length; length++) {
                Object result = outcome("truncated to " + length, TestSources.truncated(ByteSources.of(bytes), length));
                ok += agreeOrFail(whole, result, "truncated to " + length);
            }
            return ok;
        });
        // The section header table is last, so no truncation of an unstripped file can parse.
        assertEquals(0, parsed);
    }

    @Test
    void fixtureWithoutSectionHeadersStillAnswersWhenOnlyTrailingBytesAreCut() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.versionedUser());
        ByteSource stripped = TestSources.withoutSectionHeaders(ByteSources.of(bytes), ElfClass.ELF64);
        ElfFile strippedElf = ElfReader.read(stripped);
        assertTrue(strippedElf.sectionHeaders().isEmpty());
        Answer whole = (Answer) outcome("stripped", stripped);
        long lastSegmentEnd = strippedElf.programHeaders().stream().mapToLong(ProgramHeader::fileEnd).max().orElseThrow();
        int parsed = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int ok = 0;
            for (int length = 0; length < bytes.length; length++) {
                Object result = outcome("stripped, truncated to " + length, TestSources.truncated(stripped, length));
                ok += agreeOrFail(whole, result, "stripped, truncated to " + length);
                if (length >= lastSegmentEnd) {
                    assertInstanceOf(Answer.class, result, "cut after every segment at " + length);
                }
            }
            return ok;
        });
        // Cuts inside the last segment but after everything the reader needs (.dynamic is not last) parse too.
        assertTrue(parsed >= bytes.length - lastSegmentEnd, parsed + " cuts parsed");
    }

    static Stream<Arguments> nodes() {
        return Stream.of(Arguments.of("x64"), Arguments.of("s390x"));
    }

    @ParameterizedTest
    @MethodSource("nodes")
    void nodeTruncatedAtManyPointsFailsCleanlyOrAgrees(String arch) throws IOException {
        Path node = RegistryBinaries.nodeLinux(arch);
        try (FileChannel channel = FileChannel.open(node)) {
            ByteSource full = ByteSources.of(channel);
            ElfFile elf = ElfReader.read(full);
            Answer whole = Answer.of(elf);
            ByteSource stripped = TestSources.withoutSectionHeaders(full, elf.header().elfClass());
            Answer strippedWhole = (Answer) outcome("stripped node", stripped);
            TreeSet<Long> cuts = cutPoints(elf);
            int[] parsed = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                int ok = 0;
                int strippedOk = 0;
                for (long length : cuts) {
                    ok += agreeOrFail(whole, outcome("cut at " + length, TestSources.truncated(full, length)),
                            "cut at " + length);
                    strippedOk += agreeOrFail(strippedWhole, outcome("stripped, cut at " + length,
                            TestSources.truncated(stripped, length)), "stripped, cut at " + length);
                }
                return new int[] {ok, strippedOk};
            });
            assertTrue(cuts.size() > 4096 + 64, "cut points: " + cuts.size());
            assertEquals(0, parsed[0]);
            assertTrue(parsed[1] > 0, "some cuts after the last segment of the stripped file parse");
        }
    }

    @Test
    void fixturesWithRandomBytesChangedFailCleanlyOrAnswer() throws IOException {
        Random random = new Random(SEED);
        List<Path> files = List.of(Fixtures.glibcVersioned(), Fixtures.versionedLibrary(), Fixtures.versionedUser(),
                Fixtures.compile("hello", Fixtures.Variant.PIE_32), Fixtures.compile("hello", Fixtures.Variant.STATIC_PIE));
        List<byte[]> inputs = new ArrayList<>();
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            inputs.add(bytes);
            // Without section headers the reader takes other paths: PT_NOTE, hash tables for the symbol count.
            ElfClass elfClass = bytes[4] == 1 ? ElfClass.ELF32 : ElfClass.ELF64;
            ByteSource stripped = TestSources.withoutSectionHeaders(ByteSources.of(bytes), elfClass);
            byte[] strippedBytes = new byte[bytes.length];
            stripped.readFully(0, strippedBytes, 0, bytes.length);
            inputs.add(strippedBytes);
        }
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int input = 0; input < inputs.size(); input++) {
                byte[] original = inputs.get(input);
                String name = files.get(input / 2).getFileName() + (input % 2 == 1 ? " (no section headers)" : "");
                List<long[]> structures = structures(ElfReader.read(ByteSources.of(original)));
                for (int round = 0; round < 1000; round++) {
                    byte[] bytes = original.clone();
                    Map<Long, Byte> changes = mutate(random, bytes, structures);
                    Object result = outcome(name + " round " + round + " with " + changes, ByteSources.of(bytes));
                    counts[result instanceof Answer ? 0 : 1]++;
                }
            }
        });
        assertTrue(counts[0] > 1000 && counts[1] > 1000, "both outcomes were exercised: " + counts[0] + " parsed, "
                + counts[1] + " rejected");
    }

    @Test
    void bigEndianNodeWithRandomBytesChangedFailsCleanlyOrAnswers() throws IOException {
        Random random = new Random(SEED + 1);
        try (FileChannel channel = FileChannel.open(RegistryBinaries.nodeLinux("s390x"))) {
            ByteSource full = ByteSources.of(channel);
            ElfFile elf = ElfReader.read(full);
            assertTrue(elf.header().bigEndian());
            // Only the structures: a random byte in 100 MB of code would tell us nothing.
            List<long[]> structures = structures(elf).stream()
                    .filter(r -> r[1] - r[0] < (4 << 20)).toList();
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                for (int round = 0; round < 300; round++) {
                    Map<Long, Byte> changes = new HashMap<>();
                    int n = 1 + random.nextInt(4);
                    for (int k = 0; k < n; k++) {
                        long[] r = structures.get(random.nextInt(structures.size()));
                        changes.put(r[0] + (long) (random.nextDouble() * (r[1] - r[0])), (byte) random.nextInt(256));
                    }
                    outcome("node s390x round " + round + " with " + changes, TestSources.patched(full, changes));
                }
            });
        }
    }

    @Test
    void emptyFileIsAFormatError() {
        ElfFormatException e = assertThrows(ElfFormatException.class, () -> ElfReader.read(ByteSources.of(new byte[0])));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void textAndOtherFormatsAreNotElf() {
        for (String text : List.of("#!/bin/sh\necho hello\n", "\u007fEL", "\u007fELG and more bytes than a header",
                "PK\u0003\u0004 a zip file with enough bytes to look at")) {
            ElfFormatException e = assertThrows(ElfFormatException.class,
                    () -> ElfReader.read(ByteSources.of(text.getBytes(StandardCharsets.ISO_8859_1))), text);
            assertTrue(e.getMessage().contains("not an ELF file") || e.getMessage().contains("too short"),
                    e.getMessage());
        }
    }

    @Test
    void unknownClassOrByteOrderIsNamed() {
        byte[] header = new byte[64];
        header[0] = 0x7f;
        header[1] = 'E';
        header[2] = 'L';
        header[3] = 'F';
        header[4] = 3;
        header[5] = 1;
        ElfFormatException e = assertThrows(ElfFormatException.class, () -> ElfReader.read(ByteSources.of(header)));
        assertTrue(e.getMessage().contains("unknown ELF class 3"), e.getMessage());
        assertEquals(4, e.offset());
        header[4] = 2;
        header[5] = 7;
        e = assertThrows(ElfFormatException.class, () -> ElfReader.read(ByteSources.of(header)));
        assertTrue(e.getMessage().contains("unknown ELF data encoding 7"), e.getMessage());
        assertEquals(5, e.offset());
    }

    @Test
    void randomBytesBehindAValidIdentFailCleanlyOrAnswer() {
        Random random = new Random(SEED + 2);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int round = 0; round < 3000; round++) {
                byte[] bytes = new byte[random.nextInt(4096)];
                random.nextBytes(bytes);
                if (bytes.length >= 6) {
                    bytes[0] = 0x7f;
                    bytes[1] = 'E';
                    bytes[2] = 'L';
                    bytes[3] = 'F';
                    bytes[4] = (byte) (1 + random.nextInt(2));
                    bytes[5] = (byte) (1 + random.nextInt(2));
                }
                if (bytes.length >= 64 && random.nextBoolean()) {
                    // Plausible table offsets make the reader go further than the header.
                    bytes[random.nextBoolean() ? 28 : 32] = (byte) random.nextInt(64);
                    for (int i = 29; i < 32; i++) {
                        bytes[i] = 0;
                    }
                }
                outcome("random round " + round, ByteSources.of(bytes));
            }
        });
    }

    @Test
    void randomBytesWithoutTheMagicAreNotElf() {
        Random random = new Random(SEED + 3);
        for (int round = 0; round < 500; round++) {
            byte[] bytes = new byte[random.nextInt(256)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && bytes[0] == 0x7f) {
                bytes[0] = 0;
            }
            Object result = outcome("garbage round " + round, ByteSources.of(bytes));
            assertInstanceOf(ElfFormatException.class, result);
        }
    }

    /** Parses and touches everything inspect shows; returns the answer or the format error, fails on anything else. */
    static Object outcome(String what, ByteSource source) {
        try {
            ElfFile elf = ElfReader.read(source);
            Answer answer = Answer.of(elf);
            elf.linkKind();
            elf.buildId();
            elf.dlopenMetadata();
            assertTrue(elf.trailingPayloadSize() >= 0, what);
            elf.dynamicSymbols();
            elf.symbolsByNeededVersion();
            return answer;
        } catch (ElfFormatException e) {
            assertFalse(e.reason() == null || e.reason().isBlank(), what + ": format error without a reason");
            return e;
        } catch (Throwable t) {
            throw new AssertionError(what + ": expected an answer or ElfFormatException, got " + t, t);
        }
    }

    /** 1 when {@code result} is an answer equal to the whole file's, 0 for a format error; fails otherwise. */
    private static int agreeOrFail(Answer whole, Object result, String what) {
        if (result instanceof Answer answer) {
            assertEquals(whole, answer, what + " parsed but says something else than the whole file");
            return 1;
        }
        return 0;
    }

    /** Every offset in the first 4 KiB, every 1/64 of the file, and around each header, table and section edge. */
    private static TreeSet<Long> cutPoints(ElfFile elf) {
        long size = elf.fileSize();
        TreeSet<Long> cuts = new TreeSet<>();
        for (long i = 0; i < 4096; i++) {
            cuts.add(i);
        }
        for (int k = 0; k < 64; k++) {
            cuts.add(size * k / 64);
        }
        for (long[] r : structures(elf)) {
            for (long edge : r) {
                for (long d = -2; d <= 2; d++) {
                    cuts.add(edge + d);
                }
            }
        }
        cuts.add(size - 1);
        cuts.removeIf(c -> c < 0 || c >= size);
        return cuts;
    }

    /** [start, end) of the headers, the header tables and every section and segment with file bytes. */
    private static List<long[]> structures(ElfFile elf) {
        ElfHeader h = elf.header();
        List<long[]> out = new ArrayList<>();
        out.add(new long[] {0, h.elfClass().headerSize()});
        out.add(new long[] {h.phoff(), h.phoff() + h.phnum() * h.phentsize()});
        if (h.shoff() != 0) {
            out.add(new long[] {h.shoff(), h.shoff() + h.shnum() * h.shentsize()});
        }
        for (ProgramHeader p : elf.programHeaders()) {
            if (p.filesz() > 0 && p.type() != ProgramHeader.PT_LOAD) {
                out.add(new long[] {p.offset(), p.fileEnd()});
            }
        }
        for (SectionHeader s : elf.sectionHeaders()) {
            if (s.hasFileBytes() && s.size() > 0 && (s.flags() & SectionHeader.SHF_EXECINSTR) == 0) {
                out.add(new long[] {s.offset(), s.fileEnd()});
            }
        }
        return out;
    }

    /**
     * Changes one to four bytes of {@code bytes}: most in a structure, some anywhere; the new value is 0,
     * 0xff, random, or the old one with one bit flipped. Returns what changed, for the failure message.
     */
    private static Map<Long, Byte> mutate(Random random, byte[] bytes, List<long[]> structures) {
        Map<Long, Byte> changes = new HashMap<>();
        int n = 1 + random.nextInt(4);
        for (int k = 0; k < n; k++) {
            long at;
            if (random.nextInt(4) > 0) {
                long[] r = structures.get(random.nextInt(structures.size()));
                at = r[0] + (long) (random.nextDouble() * (r[1] - r[0]));
            } else {
                at = random.nextInt(bytes.length);
            }
            if (at < 6 || at >= bytes.length) {
                continue; // keep the magic, class and byte order: they are tested on their own
            }
            int i = (int) at;
            bytes[i] = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> (byte) 0xff;
                case 2 -> (byte) random.nextInt(256);
                default -> (byte) (bytes[i] ^ (1 << random.nextInt(8)));
            };
            changes.put(at, bytes[i]);
        }
        return changes;
    }
}
