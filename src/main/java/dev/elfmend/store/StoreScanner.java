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
        Map<String, List<StoreLibrary>> next = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> fresh = new java.util.ArrayList<>();
        for (String base : valid.baseNames()) {
            if (previous.contains(base)) {
                next.put(base, previous.librariesIn(base));
            } else {
                fresh.add(base);
            }
        }
        scanAll(fresh, next);
        int added = fresh.size();
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

    /** Scans new store paths on a few threads: the work is mostly waiting for the disk. */
    private void scanAll(List<String> fresh, Map<String, List<StoreLibrary>> into) throws IOException {
        if (fresh.size() < 64) {
            fresh.forEach(base -> into.put(base, scanStorePath(base)));
            return;
        }
        int threads = Math.min(8, Math.max(2, Runtime.getRuntime().availableProcessors() * 2));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elfmend-index");
            t.setDaemon(true);
            return t;
        });
        try {
            List<java.util.concurrent.Future<?>> jobs = new java.util.ArrayList<>();
            int chunk = Math.max(16, fresh.size() / (threads * 8));
            for (int i = 0; i < fresh.size(); i += chunk) {
                List<String> part = fresh.subList(i, Math.min(fresh.size(), i + chunk));
                jobs.add(pool.submit(() -> part.forEach(base -> into.put(base, scanStorePath(base)))));
            }
            for (java.util.concurrent.Future<?> job : jobs) {
                job.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("indexing interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("indexing failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
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
                java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(entry,
                        java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isDirectory()) {
                    scanDirectory(storePath, dirInRoot + "/" + name, depth + 1, out);
                } else if (name.contains(".so") && a.size() >= 64 || a.isSymbolicLink() && name.contains(".so")) {
                    // A regular file is read where it is; only links need resolving inside the root.
                    StoreLibrary lib = describe(storePath, dirInRoot, name, a.isRegularFile() ? entry : null);
                    if (lib != null) {
                        out.add(lib);
                    }
                }
            }
        } catch (IOException e) {
            // An unreadable directory holds nothing the loader could use either.
        }
    }

    private StoreLibrary describe(String storePath, String dirInRoot, String name, Path regular) {
        Path real = regular != null ? regular : RootedFiles.resolve(root, dirInRoot + "/" + name);
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
