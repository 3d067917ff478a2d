package dev.elfmend.fixup;

import dev.elfmend.store.IndexCodec;
import dev.elfmend.store.LibraryIndex;
import dev.elfmend.store.StoreScanner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Loads the cached library index, refreshes it against the store, and saves it when it changed. */
public final class IndexStore {

    private IndexStore() {}

    /** The refreshed index; {@code cacheProblem} tells why the cache could not be written, if so. */
    public record Loaded(StoreScanner.Refresh refresh, String cacheProblem) {
        public LibraryIndex index() {
            return refresh.index();
        }
    }

    public static Loaded load(Path root, String storeDir, Path cacheFile, boolean rebuild) throws IOException {
        LibraryIndex previous = rebuild ? null : read(cacheFile);
        if (previous == null || !previous.storeDir().equals(storeDir)) {
            previous = LibraryIndex.empty(storeDir);
        }
        StoreScanner.Refresh refresh = new StoreScanner(root, storeDir).refresh(previous);
        String problem = null;
        if (!refresh.unchanged()) {
            try {
                AtomicReplace.write(cacheFile, out -> IndexCodec.write(refresh.index(), out));
            } catch (IOException e) {
                problem = "cannot write the index cache " + cacheFile + ": " + e.getMessage();
            }
        }
        return new Loaded(refresh, problem);
    }

    private static LibraryIndex read(Path cacheFile) {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(cacheFile), 1 << 16)) {
            return IndexCodec.read(in);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
