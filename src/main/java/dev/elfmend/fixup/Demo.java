package dev.elfmend.fixup;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.resolve.BinaryFacts;
import dev.elfmend.resolve.PatchPlan;
import dev.elfmend.resolve.ResolveConfig;
import dev.elfmend.resolve.Resolver;
import dev.elfmend.store.LibraryIndex;
import dev.elfmend.store.StoreScanner;
import dev.elfmend.store.ValidPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The newcomer's tour without Nix: builds a Nix-store-shaped directory from the host's own loader
 * and libraries, drops a copy of a host binary whose interpreter path does not exist, runs it (it
 * fails the way foreign binaries fail on NixOS), fixes it through the same resolver and patcher as
 * {@code fix}, and runs it again.
 */
public final class Demo {

    private static final String NIX_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
    private static final List<String> LIBRARY_DIRS = List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib");

    private Demo() {}

    /** Runs the tour in {@code dir}, telling each step to {@code say}; returns true when the fixed copy ran. */
    public static boolean run(Path dir, Path binary, List<String> args, Consumer<String> say)
            throws IOException, InterruptedException {
        ElfFile original;
        try (OpenElf open = OpenElf.open(binary, true)) {
            original = open.elf();
        }
        String interpreter = original.interpreter().orElseThrow(() -> new IOException(binary
                + " has no interpreter (statically linked); pick a dynamically linked program with --binary"));
        Path store = dir.resolve("nix/store");
        String storeDir = store.toAbsolutePath().toString();
        String base = hash(binary.toString()) + "-host-libraries";
        Path lib = store.resolve(base).resolve("lib");
        Files.createDirectories(lib);
        copyReal(Path.of(interpreter), lib.resolve(Path.of(interpreter).getFileName()));
        copyClosure(original.needed(), lib);
        say.accept("1. A Nix-store-shaped directory with the host's loader and libraries: " + lib);

        Path app = dir.resolve("app");
        Files.createDirectories(app);
        Path copy = app.resolve(binary.getFileName());
        Files.copy(binary, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        String missing = Files.exists(Path.of("/lib64/ld-linux-x86-64.so.2")) || !interpreter.startsWith("/lib64/")
                ? "/nonexistent-fhs" + interpreter : interpreter;
        new ElfPatcher(null).patch(copy, ElfEdits.builder().interpreter(missing).build());
        say.accept("2. A copy of " + binary + " asking for the loader at " + missing
                + " (on NixOS the FHS path /lib64/... is just as absent): " + copy);

        say.accept("3. Running it: " + runOnce(copy, args));

        LibraryIndex index = new LibraryIndex(storeDir,
                Map.of(base, new StoreScanner(Path.of("/"), storeDir).scanStorePath(base)),
                new LibraryIndex.Stamp(0, 0, ValidPaths.Source.LISTING));
        Resolver resolver = new Resolver(index, new FsRootLookup(Path.of("/")), ResolveConfig.defaults());
        PatchPlan plan;
        try (OpenElf open = OpenElf.open(copy, false)) {
            plan = resolver.plan(BinaryFacts.of(copy.toAbsolutePath().toString(), open.elf()));
        }
        ElfEdits.Builder edits = ElfEdits.builder();
        if (plan.interpreter() != null) {
            edits.interpreter(plan.interpreter());
        }
        if (plan.runPath() != null) {
            edits.runPath(plan.runPath());
        }
        ElfPatcher.Result result = new ElfPatcher(null).patch(copy, edits.build());
        say.accept("4. elfmend fixes it" + (plan.unresolved().isEmpty() ? "" : " as far as it can (unresolved: "
                + plan.unresolved().stream().map(n -> n.name()).toList() + ")") + ": " + String.join("; ", result.changes()));

        String after = runOnce(copy, args);
        say.accept("5. Running it again: " + after);
        return after.startsWith("exit 0");
    }

    /**
     * Copies the needed libraries and theirs, recursively. Like Nix-built libraries, the copies find
     * their own needs through RUNPATH $ORIGIN (a binary's run path does not apply to its libraries).
     */
    private static void copyClosure(List<String> needed, Path lib) throws IOException {
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(needed);
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            String need = todo.pop();
            if (!seen.add(need) || need.startsWith("ld-linux")) {
                continue;
            }
            Path found = findHostLibrary(need);
            if (found == null) {
                throw new IOException("cannot find the host's " + need + " to put in the demo store");
            }
            Path copy = lib.resolve(need);
            copyReal(found, copy);
            try (OpenElf open = OpenElf.open(copy, false)) {
                todo.addAll(open.elf().needed());
            }
            if (!dev.elfmend.resolve.Loaders.isGlibcFamily(need)) {
                new ElfPatcher(null).patch(copy, ElfEdits.builder().runPath("$ORIGIN").build());
            }
        }
    }

    private static String runOnce(Path program, List<String> args) throws InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(program.toAbsolutePath().toString());
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int code = p.waitFor();
            String firstLines = output.lines().limit(3).reduce((a, b) -> a + " | " + b).orElse("");
            return "exit " + code + (firstLines.isEmpty() ? "" : ", output: " + firstLines);
        } catch (IOException e) {
            String m = e.getMessage();
            return "cannot start: " + (m.contains("No such file or directory")
                    ? "No such file or directory (the file is there; its interpreter is not)" : m);
        }
    }

    private static Path findHostLibrary(String name) {
        for (String d : LIBRARY_DIRS) {
            Path p = Path.of(d, name);
            if (Files.exists(p)) {
                return p;
            }
        }
        return null;
    }

    private static void copyReal(Path from, Path to) throws IOException {
        Path real = from.toRealPath();
        if (!Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            Files.copy(real, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /** A store-path-like hash (32 characters of Nix's base-32 alphabet) of a string. */
    static String hash(String s) throws IOException {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 32; i++) {
                sb.append(NIX_ALPHABET.charAt((d[i] & 0xff) % 32));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }
}
