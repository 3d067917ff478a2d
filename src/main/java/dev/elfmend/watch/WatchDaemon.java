package dev.elfmend.watch;

import dev.elfmend.fixup.AtomicReplace;
import dev.elfmend.fixup.ElfFiles;
import dev.elfmend.fixup.Fixer;
import io.methvin.watcher.DirectoryChangeEvent;
import io.methvin.watcher.DirectoryChangeListener;
import io.methvin.watcher.DirectoryWatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The long-running agent: watches trees such as {@code ~/.vscode-server} and patches every foreign
 * ELF file as soon as it is complete, through the same {@link Fixer} as {@code elfmend fix}. Trees
 * that do not exist yet are picked up when they appear and re-watched when re-created; on start-up
 * every tree is scanned first; a store change (or the periodic interval) re-verifies everything.
 * Work goes through a bounded queue and a small worker pool; an overflowing queue, lost inotify
 * events or an exhausted inotify watch limit fall back to rescans. {@link #close()} stops it cleanly.
 */
public final class WatchDaemon implements AutoCloseable {

    /** What the daemon needs from its surroundings: fresh fix pipelines, persistence, store change detection. */
    public interface Environment {
        /** A fix pipeline against the store as it is now (index refreshed). */
        Fixer newFixer() throws IOException;

        /** Saves the journal and syncs GC roots after patches. */
        void persist(Fixer fixer) throws IOException;

        /** Changes whenever the store changes (new paths, garbage collection, a system switch). */
        long storeStamp();
    }

    /** What happens, for logs and tests. All methods may be called from several threads. */
    public interface Listener {
        default void fileDone(Fixer.FileResult result) {}

        default void treeWatched(Path tree) {}

        default void treeGone(Path tree) {}

        default void warning(String message) {}

        default void storeChanged() {}
    }

    private final List<Path> trees;
    private final Environment environment;
    private final Listener listener;
    private final long settleNanos;
    private final Duration reverifyInterval;
    private final Duration supervisionInterval;

    private final ScheduledExecutorService scheduler;
    private final ThreadPoolExecutor workers;
    private final ExecutorService watcherThreads;
    private final Map<Path, TreeState> watched = new ConcurrentHashMap<>();
    private final PendingFiles pending;
    private final OwnWrites ownWrites = new OwnWrites();
    private final AtomicBoolean overflowWarned = new AtomicBoolean();
    /** Files a worker is patching right now. */
    private final java.util.Set<Path> inWork = ConcurrentHashMap.newKeySet();
    /** Files that found the work queue full, in arrival order, each once. */
    private final Map<Path, Path> waiting = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean persistScheduled = new AtomicBoolean();
    private final AtomicBoolean idleCollectionScheduled = new AtomicBoolean();
    private volatile Fixer fixer;
    private volatile long storeStamp;

    private WatchDaemon(Builder b) {
        this.trees = List.copyOf(b.trees);
        this.environment = Objects.requireNonNull(b.environment, "environment");
        this.listener = b.listener;
        this.settleNanos = b.settle.toNanos();
        this.reverifyInterval = b.reverifyInterval;
        this.supervisionInterval = b.supervisionInterval;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(named("elfmend-scheduler"));
        this.workers = new ThreadPoolExecutor(b.workers, b.workers, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.queueCapacity), named("elfmend-worker"));
        this.watcherThreads = Executors.newCachedThreadPool(named("elfmend-watcher"));
        this.pending = new PendingFiles(scheduler, settleNanos, this::submit, file -> FinishedFiles.progress(file, settleNanos));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts watching: scans every existing tree, then follows changes. Returns at once. */
    public WatchDaemon start() throws IOException {
        fixer = environment.newFixer();
        storeStamp = environment.storeStamp();
        scheduler.execute(this::superviseTrees);
        // After the first look at the trees: on a small machine the warm-up must not delay the watching.
        Fixer first = fixer;
        scheduler.execute(() -> Warmup.startOnce(first));
        long period = supervisionInterval.toMillis();
        scheduler.scheduleWithFixedDelay(this::superviseTrees, period, period, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::checkStore, 2 * period, 2 * period, TimeUnit.MILLISECONDS);
        if (!reverifyInterval.isZero()) {
            long r = reverifyInterval.toMillis();
            scheduler.scheduleWithFixedDelay(() -> rescanAll("periodic re-verification"), r, r, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** Trees currently watched (for tests and status). */
    public List<Path> watchedTrees() {
        return List.copyOf(watched.keySet());
    }

    /** Files waiting to settle or in the queue. */
    public int backlog() {
        return pending.size() + waiting.size() + workers.getQueue().size() + workers.getActiveCount();
    }

    // ---------------------------------------------------------------- trees

    private void superviseTrees() {
        if (closed.get()) {
            return;
        }
        for (Path tree : trees) {
            boolean exists = Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS);
            TreeState state = watched.get(tree);
            if (exists && state != null && !state.sameDirectory()) {
                stopWatching(tree); // deleted and re-created between two looks
                state = null;
            }
            if (exists && state == null) {
                startWatching(tree);
            } else if (!exists && state != null) {
                stopWatching(tree);
                listener.treeGone(tree);
            }
        }
    }

    private void startWatching(Path tree) {
        try {
            AtomicReplace.removeStrayTempFiles(Fixer.tempDirFor(tree));
            TreeState state = new TreeState(tree, Files.readAttributes(tree, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey());
            try {
                DirectoryWatcher watcher = DirectoryWatcher.builder().path(tree).fileHashing(false)
                        .listener(new TreeListener(tree)).build();
                state.watcher = watcher;
                watcher.watchAsync(watcherThreads);
            } catch (IOException e) {
                // Most often the inotify watch limit: fall back to rescanning this tree.
                listener.warning("cannot watch " + tree + " (" + e.getMessage() + "); rescanning it every "
                        + supervisionInterval.multipliedBy(10).toSeconds() + " s instead; raise "
                        + "fs.inotify.max_user_watches to watch it");
                long p = supervisionInterval.multipliedBy(10).toMillis();
                state.poller = scheduler.scheduleWithFixedDelay(() -> rescan(tree), p, p, TimeUnit.MILLISECONDS);
            }
            watched.put(tree, state);
            listener.treeWatched(tree);
            rescan(tree); // what arrived while nobody watched
        } catch (IOException e) {
            listener.warning("cannot watch " + tree + ": " + e.getMessage());
        }
    }

    private void stopWatching(Path tree) {
        TreeState state = watched.remove(tree);
        if (state != null) {
            state.close();
        }
    }

    private void rescan(Path tree) {
        if (closed.get() || !Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            ElfFiles.walk(tree, file -> pending.touch(file, tree, true), listener::warning);
        } catch (IOException e) {
            listener.warning("cannot scan " + tree + ": " + e.getMessage());
        }
    }

    private void rescanAll(String why) {
        for (Path tree : watched.keySet()) {
            rescan(tree);
        }
    }

    private void checkStore() {
        long now = environment.storeStamp();
        if (now == storeStamp || closed.get()) {
            return;
        }
        storeStamp = now;
        try {
            fixer = environment.newFixer();
            listener.storeChanged();
            rescanAll("store changed");
        } catch (IOException e) {
            listener.warning("cannot refresh the store index: " + e.getMessage());
        }
    }

    /** Receives the events of one tree. */
    private final class TreeListener implements DirectoryChangeListener {
        private final Path tree;

        TreeListener(Path tree) {
            this.tree = tree;
        }

        @Override
        public void onEvent(DirectoryChangeEvent event) {
            Path path = event.path();
            if (closed.get() || path == null || path.startsWith(Fixer.tempDirFor(tree))) {
                return;
            }
            switch (event.eventType()) {
                case OVERFLOW -> {
                    if (overflowWarned.compareAndSet(false, true)) {
                        listener.warning("file events were lost for " + tree + "; rescanning (shown once)");
                    }
                    scheduler.execute(() -> rescan(tree));
                }
                case CREATE, MODIFY -> {
                    if (event.isDirectory()) {
                        if (event.eventType() == DirectoryChangeEvent.EventType.CREATE) {
                            // Files may land in a new directory before it is watched: look inside.
                            scheduler.execute(() -> walkNewDirectory(path, tree));
                        }
                    } else if (!ownWrites.isOurs(path)) {
                        pending.changed(path, tree);
                    }
                }
                default -> { }
            }
        }

        @Override
        public boolean isWatching() {
            return !closed.get();
        }

        @Override
        public void onException(Exception e) {
            listener.warning("watching " + tree + " failed: " + e.getMessage() + "; rescanning");
            scheduler.execute(() -> rescan(tree));
        }
    }

    private void walkNewDirectory(Path dir, Path tree) {
        try {
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                ElfFiles.walk(dir, file -> pending.changed(file, tree));
            }
        } catch (IOException e) {
            // gone again (a staging directory renamed away): its new name gets its own event
        }
    }

    // ---------------------------------------------------------------- work

    private void submit(Path file, Path tree) {
        try {
            workers.execute(() -> {
                try {
                    work(file, tree);
                } finally {
                    submitWaiting();
                }
            });
        } catch (RejectedExecutionException e) {
            if (closed.get()) {
                return;
            }
            // The queue is full: the file waits (once, however often it is touched) until a worker is free.
            // Rescanning the tree here would resubmit every file into the same full queue, again and again.
            waiting.put(file, tree);
            if (overflowWarned.compareAndSet(false, true)) {
                listener.warning("more files than the queue holds; the rest wait their turn (shown once)");
            }
            if (workers.getActiveCount() == 0 && workers.getQueue().isEmpty()) {
                submitWaiting(); // every worker finished before the file was put aside
            }
        }
    }

    /** Hands files that found the queue full to the workers, as far as the queue has room. */
    private void submitWaiting() {
        while (!closed.get() && workers.getQueue().remainingCapacity() > 0) {
            Map.Entry<Path, Path> next;
            synchronized (waiting) {
                java.util.Iterator<Map.Entry<Path, Path>> first = waiting.entrySet().iterator();
                if (!first.hasNext()) {
                    return;
                }
                Map.Entry<Path, Path> e = first.next();
                next = Map.entry(e.getKey(), e.getValue());
                first.remove();
            }
            submit(next.getKey(), next.getValue());
        }
    }

    private void work(Path file, Path tree) {
        if (closed.get()) {
            return;
        }
        // One worker per file: a second event handed over while the first patch of the same file runs
        // would patch the original again and rename over the first result. It is looked at again once
        // the settle time has passed (and then finds the file patched, or changed anew).
        if (!inWork.add(file)) {
            pending.touch(file, tree, false);
            return;
        }
        try {
            workAlone(file, tree);
        } finally {
            inWork.remove(file);
        }
    }

    private void workAlone(Path file, Path tree) {
        FileCompleteness.State state = FileCompleteness.check(file);
        if (state != FileCompleteness.State.INCOMPLETE) {
            pending.handedOverRetries(file);
        }
        switch (state) {
            case NOT_ELF, GONE -> {
                return;
            }
            case INCOMPLETE -> {
                // Still being written: look again with growing pauses; a file that never completes is left alone.
                int retries = pending.handedOverRetries(file);
                if (!pending.retryLater(file, tree, retries)) {
                    listener.warning(file + " is not a complete ELF file; left alone until it changes");
                }
                return;
            }
            default -> { }
        }
        Fixer.FileResult result = fixer.fixFile(file, Fixer.tempDirFor(tree));
        if (result.outcome() == Fixer.Outcome.PATCHED || result.outcome() == Fixer.Outcome.UNRESOLVED
                && !result.changes().isEmpty()) {
            ownWrites.remember(file);
            schedulePersist();
        }
        if (result.outcome() == Fixer.Outcome.FAILED && result.error() != null
                && result.error().contains("changed while it was being patched")) {
            pending.touch(file, tree, false); // someone is still writing it
            return;
        }
        listener.fileDone(result);
        scheduleIdleCollection();
    }

    /**
     * Patching node briefly needs tens of megabytes; once the daemon is idle again, one full
     * collection lets the heap shrink back (with the units' MaxHeapFreeRatio), so an idle daemon stays small.
     */
    private void scheduleIdleCollection() {
        if (idleCollectionScheduled.compareAndSet(false, true)) {
            try {
                scheduler.schedule(() -> {
                    idleCollectionScheduled.set(false);
                    if (backlog() == 0) {
                        System.gc();
                    } else {
                        scheduleIdleCollection();
                    }
                }, 2, TimeUnit.SECONDS);
            } catch (RejectedExecutionException e) {
                idleCollectionScheduled.set(false);
            }
        }
    }

    private void schedulePersist() {
        if (persistScheduled.compareAndSet(false, true)) {
            scheduler.schedule(() -> {
                persistScheduled.set(false);
                persistNow();
            }, 200, TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void persistNow() {
        try {
            environment.persist(fixer);
        } catch (IOException e) {
            listener.warning("cannot save the journal or GC roots: " + e.getMessage());
        }
    }

    /** Waits until nothing is pending or queued (tests, and the one-shot scan before serving). */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (backlog() == 0) {
                return true;
            }
            Thread.sleep(10);
        }
        return backlog() == 0;
    }

    /**
     * Stops watching, lets the file in hand finish (an atomic replace never leaves a torn file), saves
     * the journal, and returns within a few seconds. Safe to call twice.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Path tree : List.copyOf(watched.keySet())) {
            stopWatching(tree);
        }
        scheduler.shutdownNow();
        workers.shutdown();
        watcherThreads.shutdownNow();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (fixer != null) {
            persistNow();
        }
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A watched tree: its watcher (or poller) and the identity of the directory it watches. */
    private static final class TreeState {
        final Path tree;
        final Object fileKey;
        DirectoryWatcher watcher;
        java.util.concurrent.ScheduledFuture<?> poller;

        TreeState(Path tree, Object fileKey) {
            this.tree = tree;
            this.fileKey = fileKey;
        }

        boolean sameDirectory() {
            try {
                return Objects.equals(fileKey, Files.readAttributes(tree, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey());
            } catch (IOException e) {
                return false;
            }
        }

        void close() {
            try {
                if (watcher != null) {
                    watcher.close();
                }
            } catch (IOException e) {
                // closing a watcher of a deleted tree can fail; nothing is left to release
            }
            if (poller != null) {
                poller.cancel(false);
            }
        }
    }

    /** Builds a daemon; defaults suit one user's editor servers. */
    public static final class Builder {
        private final List<Path> trees = new ArrayList<>();
        private Environment environment;
        private Listener listener = new Listener() { };
        private Duration settle = Duration.ofMillis(25);
        private Duration reverifyInterval = Duration.ofMinutes(10);
        private Duration supervisionInterval = Duration.ofSeconds(1);
        private int workers = 2;
        private int queueCapacity = 4096;

        public Builder trees(List<Path> paths) {
            paths.forEach(p -> trees.add(p.toAbsolutePath().normalize()));
            return this;
        }

        public Builder environment(Environment e) {
            this.environment = e;
            return this;
        }

        public Builder listener(Listener l) {
            this.listener = l;
            return this;
        }

        /** How long a file must stay unchanged before it counts as complete. */
        public Builder settle(Duration d) {
            this.settle = d;
            return this;
        }

        public Builder reverifyInterval(Duration d) {
            this.reverifyInterval = d;
            return this;
        }

        /** How often trees are checked for appearing and disappearing. */
        public Builder supervisionInterval(Duration d) {
            this.supervisionInterval = d;
            return this;
        }

        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        public Builder queueCapacity(int n) {
            this.queueCapacity = n;
            return this;
        }

        public WatchDaemon build() {
            return new WatchDaemon(this);
        }
    }
}
