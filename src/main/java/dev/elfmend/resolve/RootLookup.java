package dev.elfmend.resolve;

import dev.elfmend.store.StoreLibrary;

/** What the resolver may ask about files inside the root (implemented over the filesystem by fixup). */
public interface RootLookup {

    /** Whether {@code pathInRoot} exists, following links inside the root. */
    boolean exists(String pathInRoot);

    /**
     * The shared object at {@code pathInRoot} (links followed inside the root), described like a store
     * library ({@code storePath} null when outside the store), or null when there is none.
     */
    StoreLibrary library(String pathInRoot);
}
