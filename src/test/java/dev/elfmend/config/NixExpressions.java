package dev.elfmend.config;

import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates the project's Nix expressions with the host's nix-instantiate. No nixpkgs is needed: the
 * expressions the tests evaluate are pure, or take their nixpkgs parts as arguments. Every run uses its
 * own throw-away store, so nothing is written to /nix and no daemon is needed.
 */
final class NixExpressions {

    private final Path store;

    private NixExpressions(Path store) {
        this.store = store;
    }

    /** Skips (or under requireAll fails) unless nix-instantiate is on PATH; the store goes under {@code scratch}. */
    static NixExpressions require(Path scratch) {
        Requirements.require(onPath("nix-instantiate"), "tool nix-instantiate", "apt-get install -y nix-bin");
        return new NixExpressions(scratch.resolve("nix-store"));
    }

    /** The checkout: surefire runs the tests in the project's base directory. */
    static Path projectDir() {
        Path dir = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("pom.xml"))) {
            throw new IllegalStateException("run the tests from the project directory (no pom.xml in " + dir + ")");
        }
        return dir;
    }

    static Path nixDir() {
        return projectDir().resolve("nix");
    }

    /** Every .nix file under nix/, sorted. */
    static List<Path> nixFiles() {
        try (var files = Files.walk(nixDir())) {
            return files.filter(f -> f.toString().endsWith(".nix") && Files.isRegularFile(f)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code nix-instantiate --parse FILE}, any exit code. */
    Processes.Result parse(Path file) {
        return run("--parse", file.toString());
    }

    /** Evaluates {@code expression} strictly and returns its JSON; fails the test if Nix refuses it. */
    String evalJson(String expression) {
        Processes.Result r = run("--eval", "--strict", "--json", "--expr", expression);
        if (r.exit() != 0) {
            throw new AssertionError("nix-instantiate could not evaluate\n" + expression + "\n" + r.err());
        }
        return r.out().strip();
    }

    /** Evaluates {@code expression} as {@link #evalJson} does, but returns how it ended. */
    Processes.Result eval(String expression) {
        return run("--eval", "--strict", "--json", "--expr", expression);
    }

    private Processes.Result run(String... args) {
        List<String> command = new ArrayList<>(List.of("nix-instantiate", "--store", store.toString()));
        command.addAll(List.of(args));
        // Debian's nix-bin runs without build users here; nothing is built anyway.
        return Processes.command(command).env("NIX_CONFIG", "build-users-group =").run();
    }

    /** {@code value} as a Nix string literal. */
    static String string(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("${", "\\${") + "\"";
    }

    /** {@code file} as a Nix path: a literal, or {@code /. + "..."} when it has characters a literal cannot hold. */
    static String path(Path file) {
        String p = file.toAbsolutePath().normalize().toString();
        if (!p.matches("[A-Za-z0-9._+/-]+")) {
            return "(/. + " + string(p) + ")";
        }
        return p;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
