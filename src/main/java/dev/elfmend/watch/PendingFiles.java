package dev.elfmend.watch;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Files that changed and wait to settle: a file goes to work once no event touched it for the settle
 * time, or at once when it is plainly finished already (nobody has it open for writing and its last
 * write is older than the settle time: a file renamed into place, or one whose times tar has just set).
 * A file found incomplete is looked at again with growing pauses, and left alone after a while (a
 * truncated download never completes); a new event starts it over.
 */
final class PendingFiles {

    static final int MAX_RETRIES = 12;
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    private record Entry(Path tree, long lastTouch, int retries) {}

    private final ScheduledExecutorService scheduler;
    private final long settleNanos;
    private final BiConsumer<Path, Path> sink;
    private final Predicate<Path> finished;
    private final Map<Path, Entry> entries = new ConcurrentHashMap<>();

    /** @param finished whether a file that just changed is already written to the end (see {@link FinishedFiles}) */
    PendingFiles(ScheduledExecutorService scheduler, long settleNanos, BiConsumer<Path, Path> sink,
                 Predicate<Path> finished) {
        this.scheduler = scheduler;
        this.settleNanos = settleNanos;
        this.sink = sink;
        this.finished = finished;
    }

    /**
     * A file event: the file waits for the settle time, unless it is not waiting already and is finished
     * (then the wait would only add to the time before the file can run).
     */
    void changed(Path file, Path tree) {
        touch(file, tree, !entries.containsKey(file) && finished.test(file));
    }

    /** Something happened to {@code file}; {@code immediate} skips the settle wait (scans of quiet trees, finished files). */
    void touch(Path file, Path tree, boolean immediate) {
        long now = System.nanoTime();
        Entry previous = entries.put(file, new Entry(tree, immediate ? now - settleNanos : now, 0));
        if (previous == null) {
            schedule(file, immediate ? 0 : settleNanos);
        }
    }

    /** The file was not complete yet: look again later, or give up after {@link #MAX_RETRIES}. */
    boolean retryLater(Path file, Path tree, int retries) {
        if (retries >= MAX_RETRIES) {
            return false;
        }
        long delay = Math.min(MAX_BACKOFF_NANOS, settleNanos * (2L << retries) + TimeUnit.MILLISECONDS.toNanos(10));
        if (entries.putIfAbsent(file, new Entry(tree, System.nanoTime(), retries + 1)) == null) {
            schedule(file, delay);
        }
        return true;
    }

    int retriesOf(Path file) {
        Entry e = entries.get(file);
        return e == null ? 0 : e.retries();
    }

    int size() {
        return entries.size();
    }

    private void schedule(Path file, long delayNanos) {
        try {
            scheduler.schedule(() -> check(file), delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            entries.remove(file); // shutting down
        }
    }

    private void check(Path file) {
        Entry e = entries.get(file);
        if (e == null) {
            return;
        }
        long quiet = System.nanoTime() - e.lastTouch();
        long wait = e.retries() > 0 ? 0 : settleNanos - quiet;
        if (wait > 0) {
            schedule(file, wait);
            return;
        }
        if (entries.remove(file, e)) {
            sink.accept(file, e.tree());
            lastRetries.put(file, e.retries());
        }
    }

    /** Retries an entry had when it was handed over (the worker decides whether to retry again). */
    private final Map<Path, Integer> lastRetries = new ConcurrentHashMap<>();

    int handedOverRetries(Path file) {
        Integer r = lastRetries.remove(file);
        return r == null ? 0 : r;
    }
}
