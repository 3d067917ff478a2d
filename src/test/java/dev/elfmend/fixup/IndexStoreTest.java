package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.store.IndexCodec;
import dev.elfmend.store.LibraryIndex;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index cache on disk: written when the store changed, reused when it did not, ignored when damaged. */
class IndexStoreTest {

    @TempDir
    Path dir;

    private static LibraryIndex readCache(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return IndexCodec.read(in);
        }
    }

    @Test
    void theIndexIsPersistedAndReusedWhileTheStoreIsUnchanged() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path cache = dir.resolve("cache/index.bin");

        IndexStore.Loaded first = IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);
        assertNull(first.cacheProblem());
        assertEquals(2, first.refresh().added());
        LibraryIndex saved = readCache(cache);
        assertNotNull(saved, "the cache file holds a readable index");
        assertEquals(first.index().byStorePath(), saved.byStorePath());
        FileTime written = Files.getLastModifiedTime(cache);

        IndexStore.Loaded second = IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);
        assertTrue(second.refresh().unchanged(), "an unchanged store is answered from the cache");
        assertEquals(first.index().byStorePath(), second.index().byStorePath());
        assertEquals(written, Files.getLastModifiedTime(cache), "an unchanged index is not rewritten");

        nix.addPackage("greet-1.0", Map.of("lib/libgreet.so.1", Fixtures.compile("greet", Fixtures.Variant.SHARED)),
                null);
        IndexStore.Loaded third = IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);
        assertEquals(1, third.refresh().added(), "only the new path is scanned");
        assertEquals(1, readCache(cache).candidates("libgreet.so.1").size());
    }

    @Test
    void aDamagedCacheIsIgnoredAndReplaced() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path cache = dir.resolve("cache/index.bin");
        IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);
        byte[] good = Files.readAllBytes(cache);
        Files.write(cache, Arrays.copyOf(good, good.length / 2));

        IndexStore.Loaded loaded = IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);

        assertFalse(loaded.refresh().unchanged());
        assertEquals(2, loaded.refresh().added());
        assertEquals(1, loaded.index().candidates("libc.so.6").size());
        assertNotNull(readCache(cache), "the damaged file was replaced by a good one");

        Files.writeString(cache, "garbage");
        assertEquals(1, IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false).index()
                .candidates("libstdc++.so.6").size());
    }

    @Test
    void aCacheOfAnotherStoreDirectoryIsNotUsed() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path cache = dir.resolve("cache/index.bin");
        IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);

        IndexStore.Loaded other = IndexStore.load(nix.root(), "/gnu/store", cache, false);

        assertEquals(0, other.index().storePathCount());
        assertEquals("/gnu/store", other.index().storeDir());
    }

    @Test
    void rebuildIgnoresTheCache() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path cache = dir.resolve("cache/index.bin");
        IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, false);

        IndexStore.Loaded rebuilt = IndexStore.load(nix.root(), NixRoot.STORE_DIR, cache, true);

        assertEquals(2, rebuilt.refresh().added());
    }

    @Test
    void anUnwritableCacheIsReportedNotFatal() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path blocker = Files.writeString(dir.resolve("file"), "not a directory");

        IndexStore.Loaded loaded = IndexStore.load(nix.root(), NixRoot.STORE_DIR, blocker.resolve("index.bin"), false);

        assertNotNull(loaded.cacheProblem());
        assertTrue(loaded.cacheProblem().contains(blocker.resolve("index.bin").toString()), loaded.cacheProblem());
        assertEquals(1, loaded.index().candidates("libc.so.6").size());
    }
}
