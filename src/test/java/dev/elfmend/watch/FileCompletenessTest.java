package dev.elfmend.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfReader;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.RegistryBinaries;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's "is it all there yet" check, which reads the headers only: every prefix of a file being
 * written is incomplete, the whole file is complete, and the headers alone give the same end of content
 * as the full parse.
 */
class FileCompletenessTest {

    @TempDir
    Path dir;

    private static List<Path> corpus() {
        List<Path> files = new ArrayList<>();
        for (Fixtures.Fixture f : Fixtures.standard()) {
            files.add(f.path());
        }
        files.add(Fixtures.versionedLibrary());
        files.add(RegistryBinaries.nodeLinux("x64"));
        files.add(RegistryBinaries.nodeLinux("s390x"));
        return files;
    }

    @Test
    void theHeadersAloneGiveTheEndOfContentTheFullParseGives() throws Exception {
        for (Path f : corpus()) {
            try (FileChannel ch = FileChannel.open(f)) {
                assertEquals(ElfReader.read(ByteSources.of(ch)).contentEnd(), ElfReader.contentEnd(ByteSources.of(ch)),
                        f.toString());
            }
        }
    }

    @Test
    void everyPrefixOfAFileBeingWrittenIsIncompleteAndTheWholeFileComplete() throws Exception {
        for (Fixtures.Fixture f : Fixtures.standard()) {
            byte[] bytes = Files.readAllBytes(f.path());
            Path growing = dir.resolve("growing");
            for (int cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length / 97)) {
                Files.write(growing, java.util.Arrays.copyOf(bytes, cut));
                assertEquals(FileCompleteness.State.INCOMPLETE, FileCompleteness.check(growing), f + " cut at " + cut);
            }
            Files.write(growing, java.util.Arrays.copyOf(bytes, bytes.length - 1));
            assertEquals(FileCompleteness.State.INCOMPLETE, FileCompleteness.check(growing), f + " one byte short");
            Files.write(growing, bytes);
            assertEquals(FileCompleteness.State.COMPLETE, FileCompleteness.check(growing), f.toString());
        }
    }

    @Test
    void otherFilesAreNotElfOrGone() throws Exception {
        assertEquals(FileCompleteness.State.NOT_ELF, FileCompleteness.check(Files.writeString(dir.resolve("a.js"),
                "module.exports = 1;\n")));
        assertEquals(FileCompleteness.State.GONE, FileCompleteness.check(dir.resolve("missing")));
    }
}
