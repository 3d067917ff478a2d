package dev.elfmend.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written units in systemd/: they pass {@code systemd-analyze verify}, are sandboxed as
 * planned, carry the same settings as the units the modules write (nix/service.nix), and the one-shot
 * units' shell line fixes exactly the trees that exist.
 */
class SystemdUnitsTest {

    private static final Path UNITS = NixExpressions.projectDir().resolve("systemd");
    private static final Path LAUNCHER = NixExpressions.projectDir().resolve("src/main/scripts/elfmend");
    private static final List<String> USER_UNITS = List.of("elfmend.service", "elfmend-fix.service");
    private static final List<String> SYSTEM_UNITS = List.of("elfmend@.service", "elfmend-fix@.service");
    private static final List<String> WATCH_UNITS = List.of("elfmend.service", "elfmend@.service");
    private static final List<String> FIX_UNITS = List.of("elfmend-fix.service", "elfmend-fix@.service");
    /** Where each unit expects the launcher (see the comment at the top of each file). */
    private static final Map<String, String> LAUNCHER_PATHS = Map.of(
            "elfmend.service", "%h/.local/bin/elfmend", "elfmend-fix.service", "%h/.local/bin/elfmend",
            "elfmend@.service", "/usr/local/bin/elfmend", "elfmend-fix@.service", "/usr/local/bin/elfmend");

    @TempDir
    Path work;

    /*
     * verify checks that ExecStart's program exists. Rather than rewrite the units, the tests install the
     * launcher where the units expect it, in places of their own: for user units %h is $HOME, so a
     * temporary home gets .local/bin/elfmend; system units are verified with --root in a temporary root
     * that holds the units, the launcher at /usr/local/bin/elfmend, /bin/sh, and the host's targets and
     * slices (which every service depends on).
     */

    @Test
    void userUnitsPassVerify() throws IOException {
        requireSystemdAnalyze();
        Path home = work.resolve("home");
        install(LAUNCHER, home.resolve(".local/bin/elfmend"));
        assertVerified(verifyUserUnits(home, USER_UNITS));
    }

    @Test
    void verifyRefusesAUnitWhoseLauncherIsMissing() throws IOException {
        requireSystemdAnalyze();
        Processes.Result r = verifyUserUnits(Files.createDirectories(work.resolve("empty-home")),
                List.of("elfmend.service"));
        assertNotEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains(".local/bin/elfmend"), r.err());
    }

    @Test
    void systemUnitsPassVerify() throws IOException {
        requireSystemdAnalyze();
        Path root = work.resolve("root");
        for (String unit : SYSTEM_UNITS) {
            install(UNITS.resolve(unit), root.resolve("etc/systemd/system").resolve(unit));
        }
        install(LAUNCHER, root.resolve("usr/local/bin/elfmend"));
        install(Path.of("/bin/sh").toRealPath(), root.resolve("bin/sh"));
        Path hostUnits = Stream.of("/usr/lib/systemd/system", "/lib/systemd/system").map(Path::of)
                .filter(d -> Files.isRegularFile(d.resolve("multi-user.target"))).findFirst()
                .orElseThrow(() -> new AssertionError("the host has no multi-user.target to verify against"));
        try (Stream<Path> files = Files.list(hostUnits)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".target") || f.toString().endsWith(".slice"))
                    .filter(Files::isRegularFile).toList()) {
                install(f, root.resolve("usr/lib/systemd/system").resolve(f.getFileName()));
            }
        }
        assertVerified(Processes.command("systemd-analyze", "verify", "--root=" + root,
                "elfmend@alice.service", "elfmend-fix@alice.service").run());
    }

    @Test
    void everyUnitIsSandboxedAsPlanned() {
        for (String name : allUnits()) {
            Unit unit = Unit.read(UNITS.resolve(name));
            assertEquals("yes", unit.one("NoNewPrivileges"), name);
            assertEquals("strict", unit.one("ProtectSystem"), name);
            assertEquals("yes", unit.one("PrivateTmp"), name);
            assertEquals("256M", unit.one("MemoryMax"), name);
            List<String> writable = List.of(unit.one("ReadWritePaths").split("\\s+"));
            boolean system = SYSTEM_UNITS.contains(name);
            assertEquals(List.of(system ? "/home/%i" : "%h",
                    "-/nix/var/nix/gcroots/per-user/" + (system ? "%i" : "%u"), "-/vscode/vscode-server"), writable, name);
            if (system) {
                assertEquals("%i", unit.one("User"), name);
            } else {
                // A user manager sandboxes in a user namespace; systemd 252 wants PrivateUsers= said.
                assertEquals("yes", unit.one("PrivateUsers"), name);
            }
            // The JVM JITs (MemoryDenyWriteExecute), and patching keeps set-id bits (RestrictSUIDSGID).
            for (String key : unit.keys()) {
                assertFalse(key.equals("MemoryDenyWriteExecute") || key.equals("RestrictSUIDSGID")
                        || key.equals("LockPersonality") || key.startsWith("ProtectKernel"), name + " sets " + key);
            }
            assertTrue(javaOptions(unit).contains("-Xmx"), name);
            assertTrue(unit.one("ExecStart").contains(LAUNCHER_PATHS.get(name)), name);
        }
        for (String name : WATCH_UNITS) {
            Unit unit = Unit.read(UNITS.resolve(name));
            assertEquals("on-failure", unit.one("Restart"), name);
            assertTrue(unit.one("ExecStart").endsWith("/elfmend watch"), name);
        }
    }

    @Test
    void unitsCarryTheSameSettingsAsTheModules() throws ConfigException {
        NixExpressions nix = NixExpressions.require(work);
        @SuppressWarnings("unchecked")
        Map<String, Object> service = (Map<String, Object>) JsonReader.parse(nix.evalJson(
                "import " + NixExpressions.path(NixExpressions.nixDir().resolve("service.nix"))));
        @SuppressWarnings("unchecked")
        Map<String, Object> sandbox = (Map<String, Object>) service.get("sandbox");
        for (String name : allUnits()) {
            Unit unit = Unit.read(UNITS.resolve(name));
            Map<String, Object> expected = new LinkedHashMap<>(sandbox);
            @SuppressWarnings("unchecked")
            Map<String, Object> own = (Map<String, Object>) service.get(WATCH_UNITS.contains(name) ? "watch" : "fix");
            expected.putAll(own);
            expected.forEach((key, value) -> assertEquals(unitValue(value), unit.one(key), name + ": " + key));
            assertEquals(service.get("javaOptions"), javaOptions(unit), name);
        }
    }

    @Test
    void fixUnitsListEveryDefaultTree() {
        for (String name : FIX_UNITS) {
            String script = fixScript(Unit.read(UNITS.resolve(name)));
            for (String tree : ElfmendConfig.DEFAULT_TREES) {
                String word = tree.startsWith("~/") ? "\"$HOME/" + tree.substring(2) + "\"" : tree;
                assertTrue(script.contains(" " + word + " ") || script.contains(" " + word + ";"), name + ": " + tree);
            }
        }
    }

    @Test
    void fixUnitsFixTheTreesThatExistAndNothingElse() throws IOException {
        Path stub = work.resolve("elfmend-stub");
        Files.writeString(stub, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = work.resolve("home");
        Files.createDirectories(home.resolve(".vscode-server"));
        Files.createDirectories(home.resolve(".vscode/cli"));
        Files.writeString(home.resolve(".cursor-server"), "not a directory");
        Path empty = Files.createDirectories(work.resolve("empty-home"));
        boolean devcontainer = Files.isDirectory(Path.of("/vscode/vscode-server"));
        for (String name : FIX_UNITS) {
            String script = fixScript(Unit.read(UNITS.resolve(name))).replace(LAUNCHER_PATHS.get(name), stub.toString());
            assertFalse(script.contains("%"), name + ": a specifier the test does not expand: " + script);
            Processes.Result r = Processes.command("/bin/sh", "-c", script).env("HOME", home.toString()).runOk();
            List<String> expected = new ArrayList<>(List.of("fix", home.resolve(".vscode-server").toString(),
                    home.resolve(".vscode/cli").toString()));
            if (devcontainer) {
                expected.add("/vscode/vscode-server");
            }
            assertEquals(expected, r.out().lines().toList(), name);
            if (!devcontainer) {
                Processes.Result none = Processes.command("/bin/sh", "-c", script).env("HOME", empty.toString()).runOk();
                assertEquals("elfmend: no editor-server directory exists yet; nothing to fix", none.out().strip(), name);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private Processes.Result verifyUserUnits(Path home, List<String> units) throws IOException {
        Path runtime = work.resolve("runtime");
        Files.createDirectories(runtime, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "--user", "verify"));
        units.forEach(u -> command.add(UNITS.resolve(u).toString()));
        // A user manager wants its runtime directory, and %h is $HOME.
        return Processes.command(command).env("HOME", home.toString()).env("XDG_RUNTIME_DIR", runtime.toString()).run();
    }

    /** verify exits 0 even for unknown keys and bad values, which it only prints: no line may concern our units. */
    private static void assertVerified(Processes.Result r) {
        String output = r.out() + r.err();
        assertEquals(0, r.exit(), output);
        List<String> ours = output.lines().filter(l -> l.contains("elfmend")).toList();
        assertEquals(List.of(), ours, output);
    }

    private static void requireSystemdAnalyze() {
        boolean present = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "systemd-analyze")));
        Requirements.require(present, "tool systemd-analyze", "apt-get install -y systemd");
    }

    private static void install(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }

    private static List<String> allUnits() {
        List<String> all = new ArrayList<>(USER_UNITS);
        all.addAll(SYSTEM_UNITS);
        return all;
    }

    /** A value from nix/service.nix as a unit file spells it. */
    private static String unitValue(Object value) {
        if (value instanceof Boolean b) {
            return b ? "yes" : "no";
        }
        return String.valueOf(value);
    }

    private static String javaOptions(Unit unit) {
        String prefix = "ELFMEND_JAVA_OPTS=";
        return unit.all("Environment").stream()
                .map(v -> v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v)
                .filter(v -> v.startsWith(prefix)).map(v -> v.substring(prefix.length())).findFirst()
                .orElseThrow(() -> new AssertionError(unit.name() + " sets no ELFMEND_JAVA_OPTS"));
    }

    /** The shell script of a one-shot unit's {@code ExecStart=/bin/sh -c '...'}, as systemd hands it to sh. */
    private static String fixScript(Unit unit) {
        String exec = unit.one("ExecStart");
        String start = "/bin/sh -c '";
        assertTrue(exec.startsWith(start) && exec.endsWith("'"), unit.name() + ": " + exec);
        return exec.substring(start.length(), exec.length() - 1).replace("$$", "$");
    }

    /** A unit file's [Service] settings, and the keys set in any section (these units use no line continuations). */
    private record Unit(String name, Map<String, List<String>> service, Set<String> keys) {

        static Unit read(Path file) {
            Map<String, List<String>> settings = new LinkedHashMap<>();
            Set<String> keys = new TreeSet<>();
            String section = "";
            try {
                for (String line : Files.readAllLines(file)) {
                    String l = line.strip();
                    if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
                        continue;
                    }
                    if (l.startsWith("[")) {
                        section = l;
                        continue;
                    }
                    int eq = l.indexOf('=');
                    assertTrue(eq > 0, file + ": not a setting: " + line);
                    assertFalse(l.endsWith("\\"), file + ": line continuations are not read here: " + line);
                    String key = l.substring(0, eq).strip();
                    keys.add(key);
                    if (section.equals("[Service]")) {
                        settings.computeIfAbsent(key, k -> new ArrayList<>()).add(l.substring(eq + 1).strip());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Unit(file.getFileName().toString(), settings, keys);
        }

        List<String> all(String key) {
            return service.getOrDefault(key, List.of());
        }

        String one(String key) {
            List<String> values = all(key);
            assertEquals(1, values.size(), name + ": " + key + " " + values);
            return values.get(0);
        }
    }
}
