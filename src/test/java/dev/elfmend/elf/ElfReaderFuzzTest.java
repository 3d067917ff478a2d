package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.List;

/**
 * Any bytes through the reader and every question {@code inspect} and the patcher ask of a file: the
 * answer, or an {@link ElfFormatException} with a reason, and nothing else (no other exception, no
 * runaway allocation, no hang). A normal build replays the inputs under {@code ElfReaderFuzzTestInputs}
 * (seeds from {@code make-fuzz-seeds.sh} and every input that ever failed); {@code JAZZER_FUZZ=1}
 * fuzzes, see the README's "Fuzzing" paragraph.
 */
class ElfReaderFuzzTest {

    @FuzzTest(maxDuration = "2m30s")
    void anyBytesAreAnsweredOrRefusedWithAReason(byte[] bytes) throws IOException {
        ElfFile elf;
        try {
            elf = ElfReader.read(ByteSources.of(bytes));
        } catch (ElfFormatException e) {
            assertFalse(e.reason() == null || e.reason().isBlank(), "format error without a reason");
            return;
        }
        try {
            askEverything(elf, bytes);
        } catch (ElfFormatException e) {
            // Dynamic symbols are read on demand, so a file can fail late; it still fails with a reason.
            assertFalse(e.reason() == null || e.reason().isBlank(), "format error without a reason");
        }
    }

    /** What {@code inspect} prints and what the patcher checks before it edits. */
    private static void askEverything(ElfFile elf, byte[] bytes) throws IOException {
        assertTrue(ElfReader.hasElfMagic(bytes, bytes.length), "parsed a file without the ELF magic");
        ElfHeader h = elf.header();
        assertNotNull(h.machine().name());
        h.osAbiName();
        h.type();
        LinkKind kind = elf.linkKind();
        kind.isStatic();
        elf.interpreter();
        List<String> needed = elf.needed();
        needed.forEach(n -> assertFalse(n.indexOf('\0') >= 0, "needed name with a NUL"));
        elf.runPath();
        elf.rPath();
        elf.soname();
        for (VersionNeed need : elf.versionNeeds()) {
            need.versionNames();
        }
        for (VersionDefinition d : elf.versionDefinitions()) {
            d.name();
            d.isBase();
        }
        elf.buildId();
        elf.dlopenMetadata();
        elf.notes();
        elf.hasElfmendSegment();
        elf.dynamicEntries();
        elf.dynamicValue(DynamicEntry.DT_FLAGS_1);
        elf.section(".dynstr");
        assertEquals(bytes.length, elf.fileSize());
        assertEquals(Math.max(0, bytes.length - elf.contentEnd()), elf.trailingPayloadSize());
        // The patcher takes the file's own layout problems as known before it edits; that must not throw.
        LayoutCheck.check(elf, null);
        elf.symbolsByNeededVersion();
    }
}
