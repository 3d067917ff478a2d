package dev.elfmend.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The settle wait: events for a finished file hand it over at once, every other event (and every
 * retry of the daemon's own) waits for quiet. The settle time here is a minute, so a file handed over
 * within the test did not wait for it.
 */
class PendingFilesTest {

    private static final long SETTLE = TimeUnit.SECONDS.toNanos(60);
    private static final Path TREE = Path.of("/tree");

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<Path> handed = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private void awaitHanded(int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handed.size() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
    }

    /** Waits until everything scheduled so far on the single scheduler thread has run. */
    private void drain() throws Exception {
        scheduler.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void anEventForAFinishedFileHandsItOverAtOnce() throws Exception {
        PendingFiles pending = new PendingFiles(scheduler, SETTLE, (f, t) -> handed.add(f), f -> true);
        pending.changed(Path.of("/tree/node"), TREE);
        awaitHanded(1);
        assertEquals(List.of(Path.of("/tree/node")), handed);
        assertEquals(0, pending.size());
    }

    @Test
    void anEventForAFileStillBeingWrittenWaitsForTheSettleTime() throws Exception {
        PendingFiles pending = new PendingFiles(scheduler, SETTLE, (f, t) -> handed.add(f), f -> false);
        pending.changed(Path.of("/tree/node"), TREE);
        drain();
        assertEquals(List.of(), handed);
        assertEquals(1, pending.size());
    }

    @Test
    void aFileAlreadyWaitingKeepsWaitingEvenWhenItLooksFinished() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PendingFiles pending = new PendingFiles(scheduler, SETTLE, (f, t) -> handed.add(f), f -> asked.incrementAndGet() > 1);
        pending.changed(Path.of("/tree/node"), TREE); // still being written
        pending.changed(Path.of("/tree/node"), TREE); // a later event: the wait starts over, no shortcut
        drain();
        assertEquals(List.of(), handed);
        assertEquals(1, asked.get(), "a waiting file is not probed again");
    }

    @Test
    void theDaemonsOwnRetriesAlwaysWait() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PendingFiles pending = new PendingFiles(scheduler, SETTLE, (f, t) -> handed.add(f), f -> {
            asked.incrementAndGet();
            return true;
        });
        // A file another worker is patching, or one that changed under a patch, comes back through touch:
        // handing it over at once would spin while that patch runs.
        pending.touch(Path.of("/tree/node"), TREE, false);
        drain();
        assertEquals(List.of(), handed);
        assertEquals(0, asked.get());
        assertTrue(pending.size() == 1);
    }
}
