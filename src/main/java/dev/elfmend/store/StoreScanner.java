package dev.elfmend.store;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfReader;
import dev.elfmend.elf.ElfType;
import dev.elfmend.elf.VersionDefinition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;


/**
 * Builds and refreshes the {@link LibraryIndex} of the store under a root: lists the valid store
 * paths, keeps what the previous index knew about paths still there, and scans only new paths for
 * shared objects in {@code lib}, {@code lib64} and their subdirectories.
 */
public final class StoreScanner {

    public static final String DEFAULT_STORE_DIR = "/nix/store";
    private static final List<String> LIBRARY_DIRS = List.of("lib", "lib64");
    private static final int MAX_DEPTH = 4;

    private final Path root;
    private final String storeDir;

    public StoreScanner(Path root, String storeDir) {
        this.root = root;
        this.storeDir = storeDir;
    }

    /** What a refresh did, for the summary users see. */
    public record Refresh(LibraryIndex index, int added, int removed, boolean unchanged) {}

    public Refresh refresh(LibraryIndex previous) throws IOException {
        // Taken before reading, so a change made while we read shows up as a change next time.
        LibraryIndex.Stamp stamp = currentStamp(previous.stamp().source());
        if (previous.storePathCount() > 0 && stamp.equals(previous.stamp())) {
            return new Refresh(previous, 0, 0, true);
        }
        ValidPaths.Result valid = ValidPaths.read(root, storeDir);
        Map<String, List<StoreLibrary>> next = new HashMap<>();
        int added = 0;
        for (String base : valid.baseNames()) {
            if (previous.contains(base)) {
                next.put(base, previous.librariesIn(base));
            } else {
                next.put(base, scanStorePath(base));
                added++;
            }
        }
        int removed = 0;
        for (String base : previous.byStorePath().keySet()) {
            if (!next.containsKey(base)) {
                removed++;
            }
        }
        LibraryIndex.Stamp finalStamp = new LibraryIndex.Stamp(stamp.storeDirModified(), stamp.databaseModified(),
                valid.source());
        return new Refresh(new LibraryIndex(storeDir, next, finalStamp), added, removed, false);
    }

    /**
     * The store directory's and the database's modification times. Nix keeps the database in WAL mode:
     * while the daemon holds it open, registrations land in {@code db.sqlite-wal} and the main file does
     * not change, so the WAL file counts too — unless it is empty: opening the database read-only (as
     * we do) creates an empty one, which must not look like a change.
     */
    private LibraryIndex.Stamp currentStamp(ValidPaths.Source source) {
        Path db = RootedFiles.host(root, ValidPaths.DATABASE_FILE);
        Path wal = db.resolveSibling(db.getFileName() + "-wal");
        return new LibraryIndex.Stamp(modified(RootedFiles.host(root, storeDir)),
                Math.max(modified(db), size(wal) > 0 ? modified(wal) : 0), source);
    }

    private static long modified(Path p) {
        try {
            FileTime t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
            return t.to(java.util.concurrent.TimeUnit.MICROSECONDS);
        } catch (IOException e) {
            return 0;
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Shared objects of one store path. */
    public List<StoreLibrary> scanStorePath(String baseName) {
        List<StoreLibrary> out = new ArrayList<>();
        String base = storeDir + "/" + baseName;
        for (String dir : LIBRARY_DIRS) {
            scanDirectory(baseName, base + "/" + dir, 0, out);
        }
        return List.copyOf(out);
    }

    private void scanDirectory(String storePath, String dirInRoot, int depth, List<StoreLibrary> out) {
        Path dir = RootedFiles.host(root, dirInRoot);
        if (depth > MAX_DEPTH || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    scanDirectory(storePath, dirInRoot + "/" + name, depth + 1, out);
                } else if (name.contains(".so")) {
                    StoreLibrary lib = describe(storePath, dirInRoot, name);
                    if (lib != null) {
                        out.add(lib);
                    }
                }
            }
        } catch (IOException e) {
            // An unreadable directory holds nothing the loader could use either.
        }
    }

    private StoreLibrary describe(String storePath, String dirInRoot, String name) {
        Path real = RootedFiles.resolve(root, dirInRoot + "/" + name);
        if (real == null || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (ch.size() < 64) {
                return null;
            }
            ElfFile elf = ElfReader.read(ByteSources.of(ch));
            if (elf.header().type() != ElfType.DYN) {
                return null;
            }
            List<String> defs = elf.versionDefinitions().stream().filter(d -> !d.isBase())
                    .map(VersionDefinition::name).toList();
            return new StoreLibrary(storePath, dirInRoot, name, elf.soname().orElse(null),
                    elf.header().elfClass().ordinal() + 1, elf.header().bigEndian(), elf.header().machine().code(),
                    elf.header().osAbi(), defs, elf.needed(), elf.runPath().or(elf::rPath).orElse(null),
                    elf.versionNeeds().stream().flatMap(n -> n.versionNames().stream().map(v -> n.file() + ":" + v))
                            .toList());
        } catch (IOException e) {
            return null; // not ELF, or damaged: never a candidate
        }
    }

    public String storeDir() {
        return storeDir;
    }
}
