package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Big files are read through positional channel reads: heap use follows the tables, not the file size. */
class LargeFileTest {

    private static final long FOUR_GIB = 4L << 30;

    @TempDir
    Path temp;

    @Test
    void aFourGibibyteFileIsASmallElfWithAHugePayloadReadQuicklyAndInLittleMemory() throws IOException {
        Path original = Fixtures.glibcVersioned();
        Path big = temp.resolve("sigmask-with-4g-payload");
        Files.copy(original, big);
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(FOUR_GIB + 123); // sparse: no disk blocks, no 4 GiB written
        }
        Reading reading = allocatedReading(big);
        assertEquals(FOUR_GIB + 123, reading.elf.fileSize());
        assertEquals(FOUR_GIB + 123 - Files.size(original), reading.elf.trailingPayloadSize());
        assertEquals(List.of("libc.so.6"), reading.elf.needed());
        assertTrue(reading.millis < 2000, "took " + reading.millis + " ms");
        assertTrue(reading.allocated < 1 << 20, "allocated " + reading.allocated + " bytes for a 4 GiB file");
    }

    @Test
    void nodeIsReadWithAllocationFarBelowItsSize() throws IOException {
        Path node = RegistryBinaries.nodeLinux("x64");
        long size = Files.size(node);
        Reading reading = allocatedReading(node);
        assertTrue(size > 100 << 20, "node is " + size + " bytes");
        // The file is 125 MB and its dynamic string table 7.8 MB; strings are read as they are asked for.
        assertTrue(reading.allocated < 2 << 20, "allocated " + reading.allocated + " bytes for a " + size + "-byte file");
    }

    @Test
    void inspectOfNodeRunsInAJvmWithA48MegabyteHeap() {
        Path node = RegistryBinaries.nodeLinux("x64");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Processes.Result result = Processes.command(java, "-Xmx48m", "-cp", System.getProperty("java.class.path"),
                        "dev.elfmend.cli.Main", "inspect", "--json", node.toString())
                .timeout(Duration.ofMinutes(2)).run();
        assertEquals(0, result.exit(), result.err());
        assertTrue(result.out().contains("\"interpreter\": \"/lib64/ld-linux-x86-64.so.2\""), result.out());
        assertTrue(result.out().contains("\"libstdc++.so.6\""), result.out());
    }

    private record Reading(ElfFile elf, long allocated, long millis) {
    }

    /** Reads {@code file} through a channel, measuring time and this thread's allocation. */
    private static Reading allocatedReading(Path file) throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (FileChannel channel = FileChannel.open(file)) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            ElfFile elf = ElfReader.read(ByteSources.of(channel));
            long millis = (System.nanoTime() - start) / 1_000_000;
            return new Reading(elf, threads.getCurrentThreadAllocatedBytes() - before, millis);
        }
    }
}
