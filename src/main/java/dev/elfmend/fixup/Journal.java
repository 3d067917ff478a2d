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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What elfmend changed, per file: the original interpreter, run path and needs (so {@code undo} can
 * restore them) and the store paths the patched file depends on (so they stay GC roots). A text
 * file, one line per file, rewritten atomically.
 */
public final class Journal {

    private static final String HEADER = "elfmend-journal 1";

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
            j.entries.put(e.path(), e);
        }
        return j;
    }

    public void save(Path file) throws IOException {
        save(null, file);
    }

    /** Saves into {@code file} inside {@code root} (a container's), reached without following links below it. */
    public void save(Path root, Path file) throws IOException {
        AtomicReplace.write(root, file, out -> {
            StringBuilder sb = new StringBuilder(HEADER).append('\n');
            for (Entry e : entries.values()) {
                sb.append(enc(e.path())).append('\t').append(enc(e.interpreter())).append('\t')
                        .append(enc(e.runPath())).append('\t').append(enc(e.rPath())).append('\t')
                        .append(encList(e.needed())).append('\t').append(enc(e.patchedInterpreter())).append('\t')
                        .append(enc(e.patchedRunPath())).append('\t').append(encList(e.storePaths())).append('\n');
            }
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        });
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
