package dev.elfmend.watch;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Files that changed and wait to settle: a file goes to work once no event touched it for the settle
 * time, or as soon as it is plainly finished (see {@link FinishedFiles}): at once for a file renamed into
 * place; for one that is only closing (tar has set its times and mode and is about to close it), it is
 * looked at again after 1, 2, 4... ms within the settle time, since no event says when the writer
 * closes. A file found incomplete is looked at again with growing pauses, and left alone after a while
 * (a truncated download never completes); a new event starts it over.
 */
final class PendingFiles {

    static final int MAX_RETRIES = 12;
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    private record Entry(Path tree, long lastTouch, int retries) {}

    private final ScheduledExecutorService scheduler;
    private final long settleNanos;
    private final BiConsumer<Path, Path> sink;
    private final Function<Path, FinishedFiles.Progress> progress;
    private final Map<Path, Entry> entries = new ConcurrentHashMap<>();
    private final Set<Path> probing = ConcurrentHashMap.newKeySet();

    /** @param progress how far the writer of a file that just changed has got (see {@link FinishedFiles}) */
    PendingFiles(ScheduledExecutorService scheduler, long settleNanos, BiConsumer<Path, Path> sink,
                 Function<Path, FinishedFiles.Progress> progress) {
        this.scheduler = scheduler;
        this.settleNanos = settleNanos;
        this.sink = sink;
        this.progress = progress;
    }

    /**
     * A file event: the file waits for the settle time, unless it is finished (then the wait would only
     * add to the time before the file can run) or closing (then it is looked at again shortly).
     */
    void changed(Path file, Path tree) {
        switch (progress.apply(file)) {
            case FINISHED -> touch(file, tree, true);
            case CLOSING -> {
                touch(file, tree, false);
                if (probing.add(file)) {
                    scheduleProbe(file, FIRST_PROBE_NANOS);
                }
            }
            case WRITING -> touch(file, tree, false);
        }
    }

    /** Something happened to {@code file}; {@code immediate} skips the settle wait (scans of quiet trees, finished files). */
    void touch(Path file, Path tree, boolean immediate) {
        long now = System.nanoTime();
        Entry previous = entries.put(file, new Entry(tree, immediate ? now - settleNanos : now, 0));
        if (previous == null || immediate) {
            schedule(file, immediate ? 0 : settleNanos); // an extra check of a file handed over already finds nothing
        }
    }

    static final long FIRST_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private void scheduleProbe(Path file, long delayNanos) {
        try {
            scheduler.schedule(() -> probe(file, delayNanos), delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            probing.remove(file); // shutting down
        }
    }

    /** A closing file looked at again: handed over once its writer closed it, probed again while it is open. */
    private void probe(Path file, long lastDelayNanos) {
        Entry e = entries.get(file);
        FinishedFiles.Progress now = e == null || e.retries() > 0 || System.nanoTime() - e.lastTouch() >= settleNanos
                ? null : progress.apply(file);
        if (now == FinishedFiles.Progress.FINISHED) {
            probing.remove(file);
            if (entries.remove(file, e)) {
                lastRetries.put(file, e.retries());
                sink.accept(file, e.tree());
            }
        } else if (now == FinishedFiles.Progress.CLOSING && 3 * lastDelayNanos < settleNanos) {
            scheduleProbe(file, 2 * lastDelayNanos);
        } else {
            probing.remove(file); // handed over, written to again, or the settle check takes it from here
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
            lastRetries.put(file, e.retries());
            sink.accept(file, e.tree());
        }
    }

    /** Retries an entry had when it was handed over (the worker decides whether to retry again). */
    private final Map<Path, Integer> lastRetries = new ConcurrentHashMap<>();

    int handedOverRetries(Path file) {
        Integer r = lastRetries.remove(file);
        return r == null ? 0 : r;
    }
}
