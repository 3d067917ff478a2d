package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The inputs the fuzzer found that made the editor write a broken file (or plan one gigabytes long) are
 * now refused before anything is planned, each with the contradiction in its headers. The inputs are the
 * committed crash files of {@link ElfRewriterFuzzTest}: an ELF file followed by the bytes that chose the edits.
 */
class EditPreconditionsTest {

    private static final String INPUTS = "ElfRewriterFuzzTestInputs/editsApplyAsRequestedOrAreRefused/";

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            crash-e84cede8c09dfefaba92d518e29807448f135b72 | no string table (DT_STRTAB)
            crash-f057233b095ee4cb1c51eba042074169572de921 | overlaps the ELF header or a header table
            crash-1b4d60839a067061d1bb342c7392ec06db5511f4 | reaches past the end of the file
            crash-9b0af8c1f24a19fb82c3098412225c091f75c1db | reaches past the end of the file
            crash-361f6647aa38a18357b5e71dcb60b55924e88ca8 | has no program headers
            crash-f29e77912eb7d3a640d52b849dcdfd3c543313bf | section header table overlaps the program header table
            crash-c56ce544d620ef3b8cc203d9d6b14316816eaccb | overlap
            crash-5617332b17ffa7422be9307295fe0c22b86e5353 | overlaps the ELF header or a header table
            crash-34ba5fc8011eaa1ca3855e01d28f48ac2019242e | overlap without matching
            crash-48b0f44277339d48af20eab53cb1ccbba34b2ba9 | overlaps the ELF header or a header table
            crash-dfcb6d2e0bf8d67eadcccde51cf4e38250c710f3 | version need records overlap
            crash-26a4546999403e6c512c70e19b35a4efa9b29591 | more than 64 MiB is not plausible
            crash-a02c203893b87ac9f9c67a5d5166e162b3b44468 | not elfmend's to rebuild
            crash-4feb536f6e8b0563e2d7317703d38cd14bb9de7c | (PHDR) is not at the program header table
            crash-179fc3abf09ffe2d6db5924040ce286d43be2e87 | follows the program header table in no section
            crash-a167356f2edca1f7352d689860a88a2f7e766c57 | asks for alignment
            crash-feb474dda1aa8854e270e4c71611f18dcb2c6376 | section header 0 is not the null entry
            """)
    void contradictoryHeadersAreRefusedBeforePlanning(String input, String reason) throws IOException {
        byte[] all = resource(input);
        byte[] elfBytes = Arrays.copyOf(all, all.length - EditChoice.BYTES);
        byte[] choice = new byte[EditChoice.BYTES];
        for (int i = 0; i < EditChoice.BYTES; i++) {
            choice[i] = all[all.length - 1 - i]; // FuzzedDataProvider takes single bytes from the end
        }
        ByteSource source = ByteSources.of(elfBytes);
        ElfFile elf = ElfReader.read(source);
        ElfEdits edits = new EditChoice(choice).edits(elf);
        ElfFormatException e = assertThrows(ElfFormatException.class, () -> ElfRewriter.plan(elf, source, edits));
        assertTrue(e.reason().contains(reason), e.getMessage());
        assertEquals(elfBytes.length, elf.fileSize());
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = EditPreconditionsTest.class.getResourceAsStream(INPUTS + name)) {
            if (in != null) {
                return in.readAllBytes();
            }
        }
        throw new IOException("no input " + name);
    }
}
