package dev.elfmend.watch;

import static dev.elfmend.watch.FinishedFiles.Progress.CLOSING;
import static dev.elfmend.watch.FinishedFiles.Progress.FINISHED;
import static dev.elfmend.watch.FinishedFiles.Progress.WRITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The settle wait: a finished file is handed over at once, a closing one as soon as its writer is
 * gone, every other event (and every retry of the daemon's own) waits for quiet. The settle time here
 * is a minute, so a file handed over within the test did not wait for it.
 */
class PendingFilesTest {

    private static final long SETTLE = TimeUnit.SECONDS.toNanos(60);
    private static final Path TREE = Path.of("/tree");
    private static final Path NODE = Path.of("/tree/node");

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<Path> handed = new CopyOnWriteArrayList<>();
    /** How often the files' progress was asked. */
    private final AtomicInteger asked = new AtomicInteger();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private PendingFiles pending(Function<Path, FinishedFiles.Progress> progress) {
        return pending(SETTLE, progress);
    }

    private PendingFiles pending(long settleNanos, Function<Path, FinishedFiles.Progress> progress) {
        return new PendingFiles(scheduler, settleNanos, (f, t) -> handed.add(f), f -> {
            asked.incrementAndGet();
            return progress.apply(f);
        });
    }

    private void awaitNodeHandedOver() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handed.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(List.of(NODE), handed);
    }

    /** Waits until everything due on the single scheduler thread within {@code millis} has run. */
    private void drain(long millis) throws Exception {
        scheduler.schedule(() -> { }, millis, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
    }

    @Test
    void anEventForAFinishedFileHandsItOverAtOnce() throws Exception {
        PendingFiles pending = pending(f -> FINISHED);
        pending.changed(NODE, TREE);
        awaitNodeHandedOver();
        assertEquals(0, pending.size());
    }

    @Test
    void aFileAlreadyWaitingIsHandedOverWhenAnEventFindsItFinished() throws Exception {
        AtomicReference<FinishedFiles.Progress> now = new AtomicReference<>(WRITING);
        PendingFiles pending = pending(f -> now.get());
        pending.changed(NODE, TREE);
        drain(50);
        assertEquals(List.of(), handed);
        now.set(FINISHED); // renamed over by a finished file, say
        pending.changed(NODE, TREE);
        awaitNodeHandedOver();
    }

    @Test
    void aFileStillBeingWrittenWaitsForTheSettleTime() throws Exception {
        PendingFiles pending = pending(f -> WRITING);
        pending.changed(NODE, TREE);
        pending.changed(NODE, TREE);
        drain(200);
        assertEquals(List.of(), handed);
        assertEquals(1, pending.size());
        assertEquals(2, asked.get(), "asked once per event, never polled while it is being written");
    }

    @Test
    void aClosingFileIsHandedOverOnceItsWriterClosesIt() throws Exception {
        // tar: the event for its utimensat finds the file closing; a few milliseconds later it is closed
        PendingFiles pending = pending(f -> asked.get() < 4 ? CLOSING : FINISHED);
        pending.changed(NODE, TREE);
        awaitNodeHandedOver();
        assertEquals(4, asked.get());
    }

    @Test
    void aFileThatStaysOpenIsProbedAFewTimesOnlyWithinTheSettleTime() throws Exception {
        PendingFiles pending = pending(TimeUnit.MILLISECONDS.toNanos(100), f -> CLOSING);
        pending.changed(NODE, TREE);
        pending.changed(NODE, TREE); // tar's fchown and fchmod come as events too: one chain of probes
        awaitNodeHandedOver(); // by the settle time: its writer never closed it
        drain(0);
        // two events, then probes after 1, 2, 4, 8, 16 and 32 ms
        assertTrue(asked.get() <= 2 + 6, "probed " + asked.get() + " times");
        assertTrue(asked.get() >= 2 + 3, "probed " + asked.get() + " times");
    }

    @Test
    void theDaemonsOwnRetriesAlwaysWait() throws Exception {
        PendingFiles pending = pending(f -> FINISHED);
        // A file another worker is patching, or one that changed under a patch, comes back through touch:
        // handing it over at once would spin while that patch runs.
        pending.touch(NODE, TREE, false);
        drain(50);
        assertEquals(List.of(), handed);
        assertEquals(0, asked.get());
        assertEquals(1, pending.size());
    }
}
