package dev.elfmend.fixup;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What elfmend changed, per file: the original interpreter, run path and needs (so {@code undo} can
 * restore them) and the store paths the patched file depends on (so they stay GC roots). A text
 * file, one line per file, rewritten atomically. An entry is also written ahead of the change it
 * describes, as a one-entry file in {@code <journal>.d/}: a run killed after replacing a file but
 * before saving the whole journal leaves that entry behind, and the next load takes it in.
 */
public final class Journal {

    private static final String HEADER = "elfmend-journal 1";

    private Path homeRoot;
    private Path home;

    /** One patched file. Paths are as seen inside the root. */
    public record Entry(String path, String interpreter, String runPath, String rPath, List<String> needed,
                        String patchedInterpreter, String patchedRunPath, Set<String> storePaths) {
        public Entry {
            needed = List.copyOf(needed);
            storePaths = Set.copyOf(new TreeSet<>(storePaths));
        }

        public Entry withPatched(String interpreter, String runPath, Set<String> stores) {
            return new Entry(path, this.interpreter, this.runPath, this.rPath, needed, interpreter, runPath, stores);
        }
    }

    private final Map<String, Entry> entries = new TreeMap<>();

    public static Journal load(Path file) throws IOException {
        Journal j = new Journal();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return j;
        }
        if (lines.isEmpty()) {
            return j;
        }
        if (!HEADER.equals(lines.get(0))) {
            throw new IOException(file + " is not an elfmend journal (or of a newer format)");
        }
        j.read(file, lines);
        return j;
    }

    /** Entries of {@code lines} (a journal or a written-ahead entry, header first) replace those loaded so far. */
    private void read(Path file, List<String> lines) throws IOException {
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isEmpty()) {
                continue;
            }
            String[] f = lines.get(i).split("\t", -1);
            if (f.length != 8) {
                throw new IOException(file + ": line " + (i + 1) + " is damaged");
            }
            Entry e = new Entry(dec(f[0]), dec(f[1]), dec(f[2]), dec(f[3]), list(f[4]), dec(f[5]), dec(f[6]),
                    new TreeSet<>(list(f[7])));
            entries.put(e.path(), e);
        }
    }

    /**
     * Loads the journal at {@code file} inside {@code root} (null: the host's) with the entries written
     * ahead since it was last saved, and binds it there for {@link #writeAhead} and {@link #save()}.
     */
    public static Journal load(Path root, Path file) throws IOException {
        Journal j = load(file);
        j.homeRoot = root;
        j.home = file;
        Path ahead = j.aheadDir();
        if (Files.isDirectory(ahead, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            List<Path> written = new ArrayList<>();
            try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(ahead, "*.entry")) {
                files.forEach(written::add);
            }
            // One file per journaled path (named by its hash, replaced on each write): no two of them
            // speak of the same file, so the order they are read in does not matter.
            for (Path entry : written) {
                List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
                if (!lines.isEmpty() && HEADER.equals(lines.get(0))) {
                    j.read(entry, lines);
                }
            }
        }
        return j;
    }

    private Path aheadDir() {
        return home.resolveSibling(home.getFileName() + ".d");
    }

    /**
     * Records {@code e} and, when the journal is bound to its file, writes it durably on its own before the
     * change it describes is made: whatever happens to the run afterwards, {@code undo} knows the original.
     */
    public synchronized void writeAhead(Entry e) throws IOException {
        entries.put(e.path(), e);
        if (home == null) {
            return;
        }
        String name;
        try {
            name = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(e.path().getBytes(StandardCharsets.UTF_8)), 0, 16) + ".entry";
        } catch (java.security.NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java runtime has SHA-256", impossible);
        }
        AtomicReplace.write(homeRoot, aheadDir().resolve(name),
                out -> out.write((HEADER + "\n" + line(e)).getBytes(StandardCharsets.UTF_8)));
    }

    /** Saves to the file it was loaded from ({@link #load(Path, Path)}); entries written ahead are then folded in. */
    public synchronized void save() throws IOException {
        save(homeRoot, home);
        Path ahead = aheadDir();
        if (!Files.isDirectory(ahead, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> written = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(ahead, "*.entry")) {
            files.forEach(written::add);
        }
        try (OpenDirectory dir = OpenDirectory.reach(homeRoot != null ? homeRoot : ahead.getParent(), ahead)) {
            for (Path entry : written) {
                dir.unlink(FileNames.lastName(entry), entry);
            }
        }
    }

    public void save(Path file) throws IOException {
        save(null, file);
    }

    /** Saves into {@code file} inside {@code root} (a container's), reached without following links below it. */
    public synchronized void save(Path root, Path file) throws IOException {
        AtomicReplace.write(root, file, out -> {
            StringBuilder sb = new StringBuilder(HEADER).append('\n');
            for (Entry e : entries.values()) {
                sb.append(line(e));
            }
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        });
    }

    private static String line(Entry e) {
        return enc(e.path()) + '\t' + enc(e.interpreter()) + '\t' + enc(e.runPath()) + '\t' + enc(e.rPath()) + '\t'
                + encList(e.needed()) + '\t' + enc(e.patchedInterpreter()) + '\t' + enc(e.patchedRunPath()) + '\t'
                + encList(e.storePaths()) + '\n';
    }

    public Entry get(String path) {
        return entries.get(path);
    }

    public void put(Entry e) {
        entries.put(e.path(), e);
    }

    public Entry remove(String path) {
        return entries.remove(path);
    }

    public Collection<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** Entries for paths at or under {@code prefix} (a path inside the root). */
    public List<Entry> under(String prefix) {
        String dir = prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        String p = dir.endsWith("/") ? dir : dir + "/";
        return entries.values().stream().filter(e -> e.path().equals(dir) || e.path().startsWith(p)).toList();
    }

    public Set<String> storePaths() {
        Set<String> out = new TreeSet<>();
        entries.values().forEach(e -> out.addAll(e.storePaths()));
        return out;
    }

    private static String enc(String s) {
        return s == null ? "!" : s.isEmpty() ? "" : URLEncoder.encode(s, StandardCharsets.UTF_8).replace("!", "%21");
    }

    private static String dec(String s) {
        return s.equals("!") ? null : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String encList(Collection<String> items) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(URLEncoder.encode(i, StandardCharsets.UTF_8)));
        return String.join(",", out);
    }

    private static List<String> list(String s) {
        if (s.isEmpty()) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(x -> URLDecoder.decode(x, StandardCharsets.UTF_8)).toList();
    }
}
