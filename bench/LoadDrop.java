import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Writes the daemon's load: 10,000 files, 200 of them foreign ELF executables and libraries, each in a
 * directory of its own under {@code extensions/ext-N/}, the rest scripts, maps, images and wasm of mixed
 * sizes (seed 2026) under {@code node_modules}. bench/watch-load.sh and WatchLoadTest both write their
 * drop with it, so the benchmark measures the load the test asserts on.
 * Usage: java bench/LoadDrop.java DROP KIND=FILE...  (the kinds of {@link #MIX}); prints one line per
 * ELF file written: its kind, a tab, its path relative to DROP.
 */
public class LoadDrop {

    static final int FILES = 10_000;

    /** How many ELF files of each kind. */
    static final Map<String, Integer> MIX = new LinkedHashMap<>();

    static {
        MIX.put("hello", 40);
        MIX.put("hello-nopie", 40);
        MIX.put("sigmask", 30);
        MIX.put("libgreetm.so.1", 40);
        MIX.put("watcher.node", 30);
        MIX.put("protoc", 15);
        MIX.put("libvips", 5);
    }

    public static void main(String[] args) throws IOException {
        Path drop = Path.of(args[0]);
        Map<String, Path> kinds = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            kinds.put(args[i].substring(0, eq), Path.of(args[i].substring(eq + 1)));
        }
        int elves = 0;
        for (Map.Entry<String, Integer> m : MIX.entrySet()) {
            Path source = kinds.get(m.getKey());
            if (source == null) {
                throw new IllegalArgumentException("no file given for kind " + m.getKey());
            }
            for (int i = 0; i < m.getValue(); i++, elves++) {
                // named after its kind; libvips keeps its versioned library name
                String name = m.getKey().equals("libvips") ? source.getFileName().toString() : m.getKey();
                String file = "extensions/ext-" + elves % 40 + "/native-" + elves + "/" + name;
                Path target = drop.resolve(file);
                Files.createDirectories(target.getParent());
                Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                System.out.println(m.getKey() + "\t" + file);
            }
        }
        Random random = new Random(2026);
        String[] suffixes = {".js", ".js", ".json", ".md", ".map", ".png", ".wasm", ".d.ts"};
        byte[] text = "export function f(a, b) { return a + b; } // elfmend load test\n".repeat(8192)
                .getBytes(StandardCharsets.US_ASCII);
        for (int j = 0; j < FILES - elves; j++) {
            String suffix = suffixes[j % suffixes.length];
            Path target = drop.resolve("extensions/ext-" + j % 40 + "/node_modules/pkg-" + (j / 40) % 25 + "/dist/f"
                    + j + suffix);
            Files.createDirectories(target.getParent());
            int roll = random.nextInt(100);
            int size = roll < 70 ? random.nextInt(4096) : roll < 97 ? 4096 + random.nextInt(28 * 1024)
                    : 32 * 1024 + random.nextInt(224 * 1024);
            try (OutputStream out = Files.newOutputStream(target)) {
                if (suffix.equals(".png") || suffix.equals(".wasm")) {
                    byte[] bytes = new byte[size];
                    random.nextBytes(bytes);
                    if (size > 0) {
                        bytes[0] = suffix.equals(".png") ? (byte) 0x89 : 0; // never the ELF magic
                    }
                    out.write(bytes);
                } else {
                    out.write(text, 0, size);
                }
            }
        }
    }
}
