package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.elfmend.testing.Fixtures;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The two byte sources read by absolute position, and the reader answers the same through either. */
class ByteSourcesTest {

    @Test
    void channelSourceReadsAtAbsolutePositionsAndLeavesTheChannelPositionAlone() throws IOException {
        Path file = Fixtures.compile("hello", Fixtures.Variant.PIE);
        byte[] bytes = Files.readAllBytes(file);
        try (FileChannel channel = FileChannel.open(file)) {
            channel.position(7);
            ByteSource source = ByteSources.of(channel);
            assertEquals(bytes.length, source.size());
            byte[] dst = new byte[20];
            source.readFully(bytes.length - 16, dst, 4, 16);
            assertArrayEquals(Arrays.copyOfRange(bytes, bytes.length - 16, bytes.length), Arrays.copyOfRange(dst, 4, 20));
            source.readFully(0, dst, 0, 4);
            assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(dst, 4));
            assertEquals(7, channel.position());
        }
    }

    @Test
    void readingPastTheEndIsAnEofNotAShortRead() throws IOException {
        Path file = Fixtures.compile("hello", Fixtures.Variant.PIE);
        long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file)) {
            ByteSource source = ByteSources.of(channel);
            assertThrows(EOFException.class, () -> source.readFully(size - 2, new byte[4], 0, 4));
        }
        ByteSource memory = ByteSources.of(new byte[8]);
        assertThrows(EOFException.class, () -> memory.readFully(6, new byte[4], 0, 4));
        assertThrows(EOFException.class, () -> memory.readFully(-1, new byte[4], 0, 1));
    }

    @Test
    void theReaderAnswersTheSameFromAChannelAsFromMemory() throws IOException {
        Path file = Fixtures.versionedUser();
        ElfFile fromMemory = ElfReader.read(ByteSources.of(Files.readAllBytes(file)));
        try (FileChannel channel = FileChannel.open(file)) {
            ElfFile fromChannel = ElfReader.read(ByteSources.of(channel));
            assertEquals(fromMemory.header(), fromChannel.header());
            assertEquals(fromMemory.programHeaders(), fromChannel.programHeaders());
            assertEquals(fromMemory.sectionHeaders(), fromChannel.sectionHeaders());
            assertEquals(fromMemory.dynamicEntries(), fromChannel.dynamicEntries());
            assertEquals(fromMemory.versionNeeds(), fromChannel.versionNeeds());
            assertEquals(fromMemory.dynamicSymbols(), fromChannel.dynamicSymbols());
            assertEquals(fromMemory.contentEnd(), fromChannel.contentEnd());
        }
    }
}
