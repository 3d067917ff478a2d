package dev.elfmend.config;

import static dev.elfmend.config.SystemdImage.FOREIGN_NODE;
import static dev.elfmend.config.SystemdImage.HOME;
import static dev.elfmend.config.SystemdImage.UID;
import static dev.elfmend.config.SystemdImage.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The units in systemd/ started by a real systemd (PID 1 of a Debian 12 container, {@link SystemdImage}):
 * the watcher template patches node the moment it lands in a user's ~/.vscode-server, logs one line per
 * file to the journal, stays inside its sandbox, keeps its state where the unit lets it write, and stops
 * promptly on SIGTERM; the one-shot unit patches what arrived while no watcher ran, before the watcher
 * starts; and the user units do the same under a lingering user's own service manager.
 */
class SystemdServiceIT {

    private static final String WATCHER = "elfmend@" + USER + ".service";
    private static final String FIXER = "elfmend-fix@" + USER + ".service";
    private static final String FHS_LOADER = "/lib64/ld-linux-x86-64.so.2";
    private static final Map<String, String> USER_SESSION = Map.of("XDG_RUNTIME_DIR", "/run/user/" + UID);
    /** Well below TimeoutStopSec=15, after which systemd would SIGKILL a daemon that ignored SIGTERM. */
    private static final long STOP_MILLIS = 10_000;

    @TempDir
    static Path shared;

    private SystemdImage image;

    /** Per test, not per class, so that a missing engine or tool shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        image = SystemdImage.build(shared);
    }

    @AfterAll
    static void removeImage() {
        SystemdImage.remove();
    }

    @Test
    void templateUnitPatchesNodeDroppedIntoVscodeServerInItsSandboxAndStopsOnSigterm() throws Exception {
        try (SystemdContainer c = SystemdContainer.boot(SystemdImage.NAME)) {
            Processes.Result unpatched = c.execAs(USER, Map.of(), FOREIGN_NODE, "--version");
            assertNotEquals(0, unpatched.exit(), "node as npm ships it must not start in this image: " + unpatched);
            assertTrue(unpatched.err().contains("libstdc++.so.6"), unpatched.err());

            c.execOk("systemctl", "enable", "--now", WATCHER);
            assertEquals("active", c.property(WATCHER, "ActiveState"), c.journal("-u", WATCHER));
            c.await("the watcher to start", () -> c.journal("-u", WATCHER).contains("INFO  watching ["));
            String node = HOME + "/.vscode-server/bin/" + NixRoot.COMMIT + "/node";
            drop(c, node);

            c.await("node to start in " + node, () -> startsAsUser(c, node));
            assertPatchedAgainstTheStore(c, node);
            assertOnePatchLine(c.journal("-u", WATCHER), "INFO  patched ", node);

            // State: the journal, the index cache and the GC roots, where the unit lets the user write.
            assertEquals(USER, c.execOk("stat", "-c", "%U", HOME + "/.local/state/elfmend/journal").out().strip());
            assertTrue(c.execOk("cat", HOME + "/.local/state/elfmend/journal").out().contains(NixRoot.COMMIT));
            assertFalse(c.execOk("ls", "-A", HOME + "/.cache/elfmend").out().isBlank(), "index cache");
            assertGcRoots(c);

            assertSandboxed(c, WATCHER, Long.parseLong(c.property(WATCHER, "MainPID")));
            assertEquals(USER, c.property(WATCHER, "User"));
            assertEquals("/home/u -/nix/var/nix/gcroots/per-user/u -/vscode/vscode-server",
                    c.property(WATCHER, "ReadWritePaths"));

            long start = System.nanoTime();
            c.execOk("systemctl", "stop", WATCHER);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < STOP_MILLIS, "systemctl stop took " + millis + " ms (SIGTERM not handled?)");
            assertCleanExit(c, WATCHER, "143", c.exec("systemctl", "status", "--no-pager", WATCHER).out());
            assertEquals(List.of(node), c.execOk("find", HOME + "/.vscode-server", "-type", "f").out().lines().toList(),
                    "files in the tree after the stop (temp files left behind?)");
        }
    }

    @Test
    void oneShotUnitPatchesWhatArrivedWhileNoWatcherRanAndFinishesBeforeTheWatcherStarts() throws Exception {
        try (SystemdContainer c = SystemdContainer.boot(SystemdImage.NAME)) {
            String node = HOME + "/.vscode-server/bin/" + NixRoot.COMMIT + "/node";
            drop(c, node);
            assertFalse(startsAsUser(c, node), "node starts before anything patched it");

            // Enabled, as its comment says, which also keeps the finished unit's exit status on show.
            c.execOk("systemctl", "enable", FIXER);
            c.execOk("systemctl", "start", FIXER, WATCHER);

            assertCleanExit(c, FIXER, "0", c.exec("systemctl", "status", "--no-pager", FIXER).out());
            String fixLog = c.journal("-u", FIXER);
            assertOnePatchLine(fixLog, "patched ", node);
            assertTrue(fixLog.contains("1 patched"), fixLog);
            assertTrue(startsAsUser(c, node), "node after elfmend-fix");
            assertPatchedAgainstTheStore(c, node);

            // Before=elfmend@%i.service: one writer at a time, even when both start in one transaction.
            List<String> both = c.journal("-u", FIXER, "-u", WATCHER).lines().toList();
            int finished = indexOfFirst(both, "Finished " + FIXER);
            int watcherStarts = indexOfFirst(both, "Starting " + WATCHER);
            assertTrue(finished >= 0 && watcherStarts > finished, String.join("\n", both));
        }
    }

    @Test
    void userUnitsRunUnderALingeringUsersServiceManager() throws Exception {
        try (SystemdContainer c = SystemdContainer.boot(SystemdImage.NAME)) {
            c.execOk("loginctl", "enable-linger", USER);
            String manager = "user@" + UID + ".service";
            c.await(manager + " to run",
                    () -> c.exec("systemctl", "is-active", manager).out().strip().equals("active"));

            // The installation steps of elfmend.service, as the user.
            userctl(c, "daemon-reload");
            userctl(c, "enable", "--now", "elfmend.service");
            // Root's journalctl --user-unit= matches root's own user units only; the field selects u's.
            String unit = "_SYSTEMD_USER_UNIT=elfmend.service";
            c.await("the user's watcher to start", () -> c.journal(unit).contains("INFO  watching ["));
            String node = HOME + "/.vscode-server/bin/" + NixRoot.COMMIT + "/node";
            drop(c, node);

            c.await("node to start in " + node, () -> startsAsUser(c, node));
            assertPatchedAgainstTheStore(c, node);
            assertOnePatchLine(c.journal(unit), "INFO  patched ", node);
            assertGcRoots(c);

            long pid = Long.parseLong(userctl(c, "show", "elfmend.service", "-p", "MainPID", "--value").out().strip());
            assertSandboxed(c, "elfmend.service", pid);
            // PrivateUsers=yes: a user namespace that maps the user alone.
            assertEquals(List.of(UID + " " + UID + " 1"), c.execOk("cat", "/proc/" + pid + "/uid_map").out().lines()
                    .map(l -> l.strip().replaceAll("\\s+", " ")).toList());

            long start = System.nanoTime();
            userctl(c, "stop", "elfmend.service");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < STOP_MILLIS, "systemctl --user stop took " + millis + " ms (SIGTERM not handled?)");
            assertEquals("success", userctl(c, "show", "elfmend.service", "-p", "Result", "--value").out().strip());
            assertEquals("143", userctl(c, "show", "elfmend.service", "-p", "ExecMainStatus", "--value").out().strip());

            String later = HOME + "/.vscode-server/bin/0000000000000000000000000000000000000000/node";
            drop(c, later);
            userctl(c, "start", "elfmend-fix.service");
            assertEquals("success", userctl(c, "show", "elfmend-fix.service", "-p", "Result", "--value").out().strip());
            assertOnePatchLine(c.journal("_SYSTEMD_USER_UNIT=elfmend-fix.service"), "patched ", later);
            assertTrue(startsAsUser(c, later), "node after the user's elfmend-fix");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Copies node into {@code path} as the user, as an editor's download does (parents created). */
    private static void drop(SystemdContainer c, String path) {
        Processes.Result r = c.execAs(USER, Map.of(), "sh", "-c", "mkdir -p \"${1%/*}\" && cp \"$2\" \"$1\"", "sh",
                path, FOREIGN_NODE);
        assertEquals(0, r.exit(), r.err());
    }

    private static boolean startsAsUser(SystemdContainer c, String node) {
        Processes.Result r = c.execAs(USER, Map.of(), node, "--version");
        return r.exit() == 0 && r.out().startsWith("v22.");
    }

    private static Processes.Result userctl(SystemdContainer c, String... args) {
        List<String> line = new ArrayList<>(List.of("systemctl", "--user"));
        line.addAll(List.of(args));
        Processes.Result r = c.execAs(USER, USER_SESSION, line.toArray(String[]::new));
        assertEquals(0, r.exit(), String.join(" ", line) + ": " + r.out() + r.err());
        return r;
    }

    /** {@code elfmend inspect --json} in the container: the store's loader and libraries, and elfmend's mark. */
    private void assertPatchedAgainstTheStore(SystemdContainer c, String node) throws ConfigException {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> reports = (List<Map<String, Object>>) JsonReader.parse(
                c.execOk("/usr/local/bin/elfmend", "inspect", "--json", node).out());
        Map<String, Object> report = reports.getFirst();
        assertEquals(loader(), report.get("interpreter"), report.toString());
        assertEquals(Boolean.TRUE, report.get("elfmendPatched"), report.toString());
        assertEquals(List.of(NixRoot.inStore(image.glibc()) + "/lib", NixRoot.inStore(image.gccLib()) + "/lib"),
                report.get("runpath"), report.toString());
    }

    /**
     * Exactly one line names the file, and it is elfmend's line as written: with JOURNAL_STREAM set there
     * is no timestamp of elfmend's own before the level (journald stamps each entry itself).
     */
    private void assertOnePatchLine(String journal, String prefix, String file) {
        List<String> lines = journal.lines().filter(l -> l.contains("patched " + file + ":")).toList();
        assertEquals(1, lines.size(), journal);
        String line = lines.getFirst();
        assertTrue(line.startsWith(prefix + file + ": "), line);
        assertTrue(line.endsWith("interpreter " + FHS_LOADER + " -> " + loader()), line);
    }

    private void assertGcRoots(SystemdContainer c) {
        String dir = "/nix/var/nix/gcroots/per-user/" + USER + "/elfmend/";
        for (String storePath : List.of(image.glibc(), image.gccLib())) {
            assertEquals(NixRoot.inStore(storePath), c.execOk("readlink", dir + storePath).out().strip(), dir);
        }
    }

    /**
     * The running daemon, seen from inside: no new privileges, and in its own mount namespace the system
     * is read-only except the home and the user's GC roots, and /tmp is its own.
     */
    private static void assertSandboxed(SystemdContainer c, String unit, long pid) {
        assertTrue(c.execOk("cat", "/proc/" + pid + "/status").out().lines()
                .anyMatch(l -> l.matches("NoNewPrivs:\\s+1")), unit);
        for (String dir : List.of("/etc", "/usr/local/share/elfmend", "/nix/store", "/nix/var/nix/gcroots")) {
            Processes.Result r = touchInNamespace(c, pid, dir);
            assertNotEquals(0, r.exit(), unit + " can write in " + dir);
            assertTrue(r.err().contains("Read-only file system"), unit + ": " + dir + ": " + r.err());
        }
        for (String dir : List.of(HOME, "/nix/var/nix/gcroots/per-user/" + USER)) {
            Processes.Result r = touchInNamespace(c, pid, dir);
            assertEquals(0, r.exit(), unit + " cannot write in " + dir + ": " + r.err());
        }
        c.execOk("touch", "/tmp/elfmend-it-outside");
        assertNotEquals(0, c.exec("nsenter", "-t", String.valueOf(pid), "-m", "test", "-e", "/tmp/elfmend-it-outside")
                .exit(), unit + " shares /tmp (PrivateTmp)");
    }

    /** Creates and removes a file in {@code dir} as root inside the process's mount namespace. */
    private static Processes.Result touchInNamespace(SystemdContainer c, long pid, String dir) {
        return c.exec("nsenter", "-t", String.valueOf(pid), "-m", "sh", "-c",
                "touch \"$1/.elfmend-it-probe\" && rm \"$1/.elfmend-it-probe\"", "sh", dir);
    }

    private static void assertCleanExit(SystemdContainer c, String unit, String status, String statusText) {
        assertEquals("inactive", c.property(unit, "ActiveState"), statusText);
        assertEquals("success", c.property(unit, "Result"), statusText);
        assertEquals("1", c.property(unit, "ExecMainCode"), "CLD_EXITED: " + statusText);
        assertEquals(status, c.property(unit, "ExecMainStatus"), statusText);
        assertTrue(statusText.contains("(code=exited, status=" + status), statusText);
    }

    private String loader() {
        return NixRoot.inStore(image.glibc()) + "/lib/ld-linux-x86-64.so.2";
    }

    private static int indexOfFirst(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
