package dev.elfmend.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The shared objects of a Nix store, by store path and by the file name the loader looks for.
 * Immutable; {@link StoreScanner} makes new ones incrementally (store paths never change, so only new
 * and vanished paths cost work).
 */
public final class LibraryIndex {

    /** What the index was built from, so an unchanged store is recognised without listing it. */
    public record Stamp(long storeDirModified, long databaseModified, ValidPaths.Source source) {}

    private final String storeDir;
    private final SortedMap<String, List<StoreLibrary>> byStorePath;
    private final Map<String, List<StoreLibrary>> byFileName;
    private final Stamp stamp;

    public LibraryIndex(String storeDir, Map<String, List<StoreLibrary>> byStorePath, Stamp stamp) {
        this.storeDir = storeDir;
        this.byStorePath = Collections.unmodifiableSortedMap(new TreeMap<>(byStorePath));
        this.stamp = stamp;
        Map<String, List<StoreLibrary>> names = new HashMap<>();
        for (List<StoreLibrary> libs : this.byStorePath.values()) {
            for (StoreLibrary lib : libs) {
                names.computeIfAbsent(lib.fileName(), k -> new ArrayList<>()).add(lib);
            }
        }
        names.replaceAll((k, v) -> List.copyOf(v));
        this.byFileName = names;
    }

    public static LibraryIndex empty(String storeDir) {
        return new LibraryIndex(storeDir, Map.of(), new Stamp(0, 0, ValidPaths.Source.LISTING));
    }

    public String storeDir() {
        return storeDir;
    }

    public Stamp stamp() {
        return stamp;
    }

    /** Every library file named {@code fileName} (a soname, as in DT_NEEDED), in store path order. */
    public List<StoreLibrary> candidates(String fileName) {
        return byFileName.getOrDefault(fileName, List.of());
    }

    public SortedMap<String, List<StoreLibrary>> byStorePath() {
        return byStorePath;
    }

    public boolean contains(String storePath) {
        return byStorePath.containsKey(storePath);
    }

    public List<StoreLibrary> librariesIn(String storePath) {
        return byStorePath.getOrDefault(storePath, List.of());
    }

    public int storePathCount() {
        return byStorePath.size();
    }

    public int libraryCount() {
        return byStorePath.values().stream().mapToInt(List::size).sum();
    }
}
