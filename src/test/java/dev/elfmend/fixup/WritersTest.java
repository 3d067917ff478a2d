package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Awaits;
import dev.elfmend.testing.Processes;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's answer to "is anybody still writing this file", asked through a lease. */
class WritersTest {

    @TempDir
    Path dir;

    @Test
    void aClosedFileHasNoWriterAndAnOpenWriterInThisProcessCounts() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "data");
        assertEquals(Writers.Answer.NONE, Writers.of(f));
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            assertEquals(Writers.Answer.SOME, Writers.of(f));
            try (FileChannel r = FileChannel.open(f, StandardOpenOption.READ)) {
                assertEquals(Writers.Answer.SOME, Writers.of(f), "a reader beside the writer changes nothing");
            }
        }
        try (FileChannel r = FileChannel.open(f, StandardOpenOption.READ)) {
            assertEquals(Writers.Answer.NONE, Writers.of(f), "readers are not writers");
        }
    }

    @Test
    void aWriterInAnotherProcessCountsUntilItClosesTheFile() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "data");
        Path opened = dir.resolve("opened");
        Process writer = new ProcessBuilder("sh", "-c", "exec 3>>\"$1\"; : > \"$2\"; read _; exec 3>&-; sleep 30", "sh",
                f.toString(), opened.toString()).start();
        try {
            Awaits.until("the writer has the file open", Duration.ofSeconds(10), () -> Files.exists(opened));
            assertEquals(Writers.Answer.SOME, Writers.of(f));
            writer.getOutputStream().write('\n');
            writer.getOutputStream().flush();
            Awaits.until("the writer closed the file", Duration.ofSeconds(10),
                    () -> Writers.of(f) == Writers.Answer.NONE);
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }

    @Test
    void whatTheKernelCannotAnswerIsUnknownNotNone() throws Exception {
        Path fifo = dir.resolve("fifo");
        Processes.runOk("mkfifo", fifo.toString());
        assertEquals(Writers.Answer.UNKNOWN, Writers.of(fifo), "leases exist for regular files only");
        assertEquals(Writers.Answer.UNKNOWN, Writers.of(dir.resolve("missing")));
        Path target = Files.writeString(dir.resolve("target"), "data");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertEquals(Writers.Answer.UNKNOWN, Writers.of(link), "a link at the name is not followed");
    }

    /**
     * A writer opening the file while the probe holds its lease breaks the lease, and the kernel then
     * signals the probing process; SIGIO, its default signal, would end this JVM. Thousands of probes
     * against a process that opens the file for writing in a loop must leave the JVM alive and answering.
     */
    @Test
    void writersOpeningTheFileDuringProbesDoNotHurtTheProbingProcess() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "data");
        // The loop ends with its parent: a test JVM that dies (as it would with SIGIO) leaves no spinning shell.
        Process opener = new ProcessBuilder("sh", "-c", "while kill -0 $PPID 2>/dev/null; do : >> \"$1\"; done", "sh",
                f.toString()).start();
        Map<Writers.Answer, Integer> seen = new EnumMap<>(Writers.Answer.class);
        try {
            for (int i = 0; i < 20_000; i++) {
                seen.merge(Writers.of(f), 1, Integer::sum);
            }
            assertTrue(opener.isAlive(), "the writer kept running");
        } finally {
            opener.destroyForcibly().waitFor();
        }
        assertNotEquals(null, seen.get(Writers.Answer.NONE), "probes between two opens: " + seen);
        assertEquals(null, seen.get(Writers.Answer.UNKNOWN), "the kernel always answered: " + seen);
    }
}
