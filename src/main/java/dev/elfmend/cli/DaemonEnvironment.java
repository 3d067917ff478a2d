package dev.elfmend.cli;

import dev.elfmend.fixup.Fixer;
import dev.elfmend.fixup.FsRootLookup;
import dev.elfmend.fixup.GcRoots;
import dev.elfmend.fixup.IndexStore;
import dev.elfmend.fixup.Journal;
import dev.elfmend.fixup.StateLocations;
import dev.elfmend.resolve.FhsRetarget;
import dev.elfmend.store.RootedFiles;
import dev.elfmend.watch.WatchDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the daemon gets from the command line's store options: fix pipelines, the journal, GC roots. */
final class DaemonEnvironment implements WatchDaemon.Environment {

    private static final Logger LOG = LoggerFactory.getLogger("elfmend");

    private final StoreOptions store;
    private final StateLocations locations;
    private final Journal journal;

    DaemonEnvironment(StoreOptions store) throws IOException {
        this.store = store;
        this.locations = store.locations();
        store.removeStrayStateTempFiles();
        this.journal = Journal.load(store.stateRoot(), locations.journal());
    }

    @Override
    public Fixer newFixer() throws IOException {
        IndexStore.Loaded index = store.loadIndex(false);
        if (index.cacheProblem() != null) {
            LOG.warn(index.cacheProblem());
        }
        LOG.debug("store index: {} store paths, {} libraries", index.index().storePathCount(),
                index.index().libraryCount());
        Path root = store.root();
        return new Fixer(root, store.storeDir, store.resolver(index),
                new FhsRetarget(new FsRootLookup(root), store.storeDir), Fixer.Target.NIX, false, journal);
    }

    @Override
    public void persist(Fixer fixer) throws IOException {
        synchronized (journal) {
            Set<String> live = fixer.liveStorePaths();
            journal.save();
            new GcRoots(store.stateRoot(), locations.gcRoots(), store.storeDir).sync(live);
        }
    }

    @Override
    public long storeStamp() {
        Path root = store.root();
        return modified(RootedFiles.host(root, store.storeDir))
                ^ modified(RootedFiles.host(root, "/nix/var/nix/db/db.sqlite")) * 31;
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
