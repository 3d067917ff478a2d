package dev.elfmend.cli;

import dev.elfmend.testing.Digests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.Journal;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code elfmend fix} on a NixOS-like root with a real store and the real node from npm: before, node
 * cannot start there; after, it runs and loads its addons; again, nothing changes.
 */
class FixCommandTest {

    @TempDir
    Path dir;

    /** {@code COMMAND --root ROOT --cache-dir CACHE ARGS...}, in-process, with the index cache kept out of /var/cache. */
    static CliRun inRoot(NixRoot nix, Path cache, String command, String... args) {
        List<String> line = new ArrayList<>(List.of(command, "--root", nix.root().toString(),
                "--cache-dir", cache.toString()));
        line.addAll(List.of(args));
        return CliRun.of(line.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** Content hash and modification time of every regular file under {@code tree}, to prove "nothing changed". */
    static Map<String, String> snapshot(Path tree) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(tree)) {
            for (Path f : files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                FileTime t = Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS);
                out.put(tree.relativize(f).toString(), sha256(f) + " " + t.toInstant());
            }
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        return Digests.sha256(file);
    }

    static Set<String> gcRoots(NixRoot nix) throws IOException {
        Path roots = nix.host("/nix/var/nix/gcroots/elfmend");
        Set<String> out = new TreeSet<>();
        if (Files.isDirectory(roots)) {
            try (Stream<Path> s = Files.list(roots)) {
                for (Path p : s.toList()) {
                    assertTrue(Files.isSymbolicLink(p), p + " is a symlink");
                    assertEquals(Path.of(NixRoot.inStore(p.getFileName().toString())), Files.readSymbolicLink(p));
                    out.add(p.getFileName().toString());
                }
            }
        }
        return out;
    }

    private Path cache() {
        return dir.resolve("cache");
    }

    private NixRoot nixRoot() {
        return NixRoot.create(dir.resolve("nix"));
    }

    // ---------------------------------------------------------------- the main story

    @Test
    void nodeFromNpmRunsInANixosRootAfterFixAndItsAddonLoads() throws IOException {
        Requirements.requireRoot();
        NixRoot nix = nixRoot();
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        String version = Processes.runOk(RegistryBinaries.nodeLinux("x64").toString(), "--version").out().trim();

        Processes.Result before = nix.chroot(vscode.node(), "--version");
        assertEquals(127, before.exit(), before.toString());
        assertTrue(before.err().contains("No such file or directory"), before.err());

        CliRun fix = inRoot(nix, cache(), "fix", nix.host(vscode.tree()).toString());

        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(fix.out().contains("patched " + nix.host(vscode.node()) + ": "), fix.out());
        assertTrue(fix.out().contains("patched " + nix.host(vscode.watcher()) + ": "), fix.out());
        assertTrue(fix.out().contains("3 ELF files: 2 patched, 1 skipped; 2 GC roots added, 0 removed"), fix.out());
        Processes.Result after = nix.chroot(vscode.node(), "--version");
        assertEquals(0, after.exit(), after.toString());
        assertEquals(version, after.out().trim());
        assertTrue(version.startsWith("v22."), version);

        Processes.Result addon = nix.chroot(vscode.node(), "-e",
                "const m = { exports: {} }; process.dlopen(m, '" + vscode.watcher() + "');"
                        + " console.log(typeof m.exports.subscribe)");
        assertEquals(0, addon.exit(), addon.toString());
        assertEquals("function", addon.out().trim());

        assertEquals(Set.of(nix.glibc(), nix.gccLib()), gcRoots(nix));
        Journal.Entry node = Journal.load(nix.host("/var/lib/elfmend/journal")).get(vscode.node());
        assertEquals("/lib64/ld-linux-x86-64.so.2", node.interpreter(), "the journal keeps the original");
        assertEquals(Set.of(nix.glibc(), nix.gccLib()), node.storePaths());
        assertFalse(Files.exists(nix.host(vscode.tree() + "/.elfmend-tmp")), "no temp files left in the tree");
    }

    @Test
    void sharpLibvipsKeepsItsOriginRunPathAndLoadsAfterFix() throws IOException {
        Requirements.requireRoot();
        NixRoot nix = nixRoot();
        NixRoot.VscodeServer vscode = nix.installVscodeServer(true);
        String loader = NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2";
        Processes.Result before = nix.chroot(loader, "--list", vscode.libvips());
        assertNotEquals(0, before.exit(), before.toString());
        assertTrue(before.err().contains("cannot open shared object file"), before.toString());

        CliRun fix = inRoot(nix, cache(), "fix", nix.host(vscode.tree()).toString());

        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(fix.out().contains("patched " + nix.host(vscode.libvips()) + ": "), fix.out());
        assertEquals("$ORIGIN/:" + NixRoot.inStore(nix.glibc()) + "/lib:" + NixRoot.inStore(nix.gccLib()) + "/lib",
                Readelf.dynamic(nix.host(vscode.libvips())).runpath().orElseThrow(), "$ORIGIN/ stays first");
        Processes.Result vips = nix.chroot(loader, "--list", vscode.libvips());
        assertEquals(0, vips.exit(), vips.toString());
        assertTrue(vips.out().contains(NixRoot.inStore(nix.gccLib()) + "/lib/libstdc++.so.6"), vips.out());
        Processes.Result load = nix.chroot(vscode.node(), "-e", "try { process.dlopen({ exports: {} }, '"
                + vscode.libvips() + "') } catch (e) { console.log(e.message) }");
        assertTrue(load.out().contains("did not self-register"), "loaded (it is no addon, so node says so): " + load);
    }

    @Test
    void aSecondFixChangesNothing() throws IOException {
        NixRoot nix = nixRoot();
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        Path tree = nix.host(vscode.tree());
        CliRun first = inRoot(nix, cache(), "fix", tree.toString());
        assertEquals(0, first.exit(), first.toString());
        Map<String, String> once = snapshot(tree);
        String journal = Files.readString(nix.host("/var/lib/elfmend/journal"));
        Set<String> roots = gcRoots(nix);

        CliRun again = inRoot(nix, cache(), "fix", tree.toString());

        assertEquals(0, again.exit(), again.toString());
        assertFalse(again.out().contains("patched "), again.out());
        assertTrue(again.out().contains("2 already fine"), again.out());
        assertTrue(again.out().contains("0 GC roots added, 0 removed"), again.out());
        assertEquals(once, snapshot(tree), "same bytes, same modification times");
        assertEquals(journal, Files.readString(nix.host("/var/lib/elfmend/journal")));
        assertEquals(roots, gcRoots(nix));
    }

    @Test
    void dryRunSaysWhatWouldChangeAndChangesNothing() throws IOException {
        NixRoot nix = nixRoot();
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        Path tree = nix.host(vscode.tree());
        Map<String, String> before = snapshot(tree);

        CliRun dry = inRoot(nix, cache(), "fix", "--dry-run", tree.toString());

        assertEquals(0, dry.exit(), dry.toString());
        assertTrue(dry.out().contains("would patch " + nix.host(vscode.node()) + ": interpreter "
                + "/lib64/ld-linux-x86-64.so.2 -> " + NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2"),
                dry.out());
        assertTrue(dry.out().contains("dry run: 3 ELF files"), dry.out());
        assertEquals(before, snapshot(tree));
        assertFalse(Files.exists(nix.host("/var/lib/elfmend/journal")));
        assertTrue(gcRoots(nix).isEmpty());
    }

    @Test
    void strictExitsFourAndNamesWhatIsMissing() throws IOException {
        NixRoot nix = nixRoot();
        nix.install(Fixtures.versionedUser(), "/opt/app/usever");
        nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/hello");
        String app = nix.host("/opt/app").toString();

        CliRun lenient = inRoot(nix, cache(), "fix", "--dry-run", app);
        assertEquals(0, lenient.exit(), lenient.toString());

        CliRun strict = inRoot(nix, cache(), "fix", "--strict", app);

        assertEquals(4, strict.exit(), strict.toString());
        assertTrue(strict.out().contains("libver.so.1 => not found (no store path provides it)"), strict.out());
        assertTrue(strict.out().contains("1 patched, 1 with unresolved libraries"), strict.out());
        assertEquals(Optional.of(NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2"),
                Readelf.programHeaders(nix.host("/opt/app/hello")).interpreter());
    }

    @Test
    void staticBinariesAndFilesInsideTheStoreAreSkipped() throws IOException {
        NixRoot nix = nixRoot();
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        Path store = nix.storePath(nix.gccLib());
        Map<String, String> storeBefore = snapshot(store);
        String staticBefore = sha256(nix.host(vscode.staticTool()));

        CliRun inStore = inRoot(nix, cache(), "fix", "--json", store.toString());
        CliRun tree = inRoot(nix, cache(), "fix", "--json", nix.host(vscode.tree()).toString());

        assertEquals(0, inStore.exit(), inStore.toString());
        Map<String, Object> storeReport = object(JsonParser.parse(inStore.out()));
        assertEquals(Map.of("skipped", 2L), storeReport.get("summary"));
        for (Object f : list(storeReport.get("files"))) {
            assertEquals("inside the store", object(f).get("note"));
        }
        assertEquals(storeBefore, snapshot(store));

        Map<String, Object> treeReport = object(JsonParser.parse(tree.out()));
        Map<String, Object> busybox = list(treeReport.get("files")).stream().map(FixCommandTest::object)
                .filter(f -> f.get("pathInRoot").equals(vscode.staticTool())).findFirst().orElseThrow();
        assertEquals("skipped", busybox.get("outcome"));
        assertEquals("statically linked", busybox.get("note"));
        assertEquals(staticBefore, sha256(nix.host(vscode.staticTool())));
        assertEquals(3, list(treeReport.get("files")).size(), "the JavaScript file is not an ELF file");
    }

    @Test
    void afterTheStoreChangedFixRetargetsFilesWhoseStorePathsVanished() throws IOException {
        Requirements.requireRoot();
        NixRoot nix = nixRoot();
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        Path tree = nix.host(vscode.tree());
        CliRun first = inRoot(nix, cache(), "fix", tree.toString());
        assertEquals(0, first.exit(), first.toString());

        // The store moves on: a new glibc arrives with its own root, the old one loses elfmend's root and is collected.
        String newer = nix.addGlibc("glibc-2.99");
        Path keep = Files.createDirectories(nix.host("/nix/var/nix/gcroots/profile"));
        Files.createSymbolicLink(keep.resolve("glibc"), Path.of(NixRoot.inStore(newer)));
        Files.createSymbolicLink(keep.resolve("gcc"), Path.of(NixRoot.inStore(nix.gccLib())));
        Files.delete(nix.host("/nix/var/nix/gcroots/elfmend/" + nix.glibc()));
        nix.gc();
        assertFalse(nix.exists(nix.glibc()));
        assertEquals(127, nix.chroot(vscode.node(), "--version").exit());

        CliRun fix = inRoot(nix, cache(), "fix", tree.toString());

        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(fix.out().contains("2 patched"), fix.out());
        Processes.Result run = nix.chroot(vscode.node(), "--version");
        assertEquals(0, run.exit(), run.toString());
        assertEquals(Set.of(newer, nix.gccLib()), gcRoots(nix));
        assertEquals(Optional.of(NixRoot.inStore(newer) + "/lib/ld-linux-x86-64.so.2"),
                Readelf.programHeaders(nix.host(vscode.node())).interpreter());
    }

    @Test
    void preferencesProfilesAndDlopenRulesOnTheCommandLineShapeThePlan() throws IOException {
        NixRoot nix = nixRoot();
        String newer = nix.addGlibc("glibc-2.99");
        String bar = nix.addPackage("bar-1.0", Map.of("lib/libbar.so.1", Fixtures.chain().libbar()), null);
        nix.addReference(nix.gccLib(), nix.glibc());
        Path profiles = Files.createDirectories(nix.host("/nix/var/nix/profiles"));
        Files.createSymbolicLink(profiles.resolve("default"), Path.of(NixRoot.inStore(nix.gccLib())));
        String file = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/bin/vsce-sign").toString();

        Map<String, Object> newest = plan(inRoot(nix, cache(), "check", "--json", "--profile", "/nowhere", file));
        Map<String, Object> preferred = plan(inRoot(nix, cache(), "check", "--json", "--prefer",
                "glibc-" + NixRoot.hostGlibcVersion(), file));
        Map<String, Object> profile = plan(inRoot(nix, cache(), "check", "--json", "--profile",
                "/nix/var/nix/profiles/default", file));
        Map<String, Object> dlopen = plan(inRoot(nix, cache(), "check", "--json", "--profile", "/nowhere",
                "--extra-libraries", "*/vsce-sign=libbar.so.1,libnothere.so.1", file));

        assertEquals(newer, newest.get("glibc"), "without preferences the newest glibc");
        assertEquals(nix.glibc(), preferred.get("glibc"));
        assertEquals(nix.glibc(), profile.get("glibc"), "the profile's closure reaches the older glibc");
        assertEquals(NixRoot.inStore(newer) + "/lib:" + NixRoot.inStore(bar) + "/lib", dlopen.get("runpath"));
        assertEquals("would_patch", dlopen.get("outcome"), "a dlopen library that is missing is no failure");

        CliRun wrong = inRoot(nix, cache(), "check", "--extra-libraries", "libbar.so.1", file);
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("--extra-libraries wants GLOB=LIB[,LIB...], got libbar.so.1"), wrong.err());
    }

    private static Map<String, Object> plan(CliRun check) {
        assertEquals(3, check.exit(), check.toString());
        return object(list(JsonParser.parse(check.out())).getFirst());
    }

    // ---------------------------------------------------------------- the reverse direction

    @Test
    void targetFhsRetargetsABinaryBuiltAgainstTheStoreSoItRunsOnTheHost() throws IOException {
        Requirements.requireRoot();
        NixRoot nix = nixRoot();
        String glibcLib = NixRoot.inStore(nix.glibc()) + "/lib";
        Path nixBuilt = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/nix-built/bin/hello");
        Processes.runOk("patchelf", "--set-interpreter", glibcLib + "/ld-linux-x86-64.so.2",
                "--set-rpath", "$ORIGIN/../lib:" + glibcLib, nixBuilt.toString());
        Processes.Result inNixos = nix.chroot("/opt/nix-built/bin/hello");
        assertEquals(Fixtures.HELLO_OUTPUT, inNixos.out(), "it runs against the store glibc: " + inNixos);

        Path onHost = Files.createDirectories(dir.resolve("host/bin")).resolve("hello");
        Files.copy(nixBuilt, onHost);
        if (!Files.exists(Path.of(glibcLib))) {
            Processes.Result before = Processes.run("/bin/sh", "-c", "exec \"$0\"", onHost.toString());
            assertEquals(127, before.exit(), "the store loader does not exist on the host: " + before);
        }

        CliRun fix = CliRun.of("fix", "--target", "fhs", "--cache-dir", cache().toString(),
                "--state-dir", dir.resolve("state").toString(), onHost.toString());

        assertEquals(0, fix.exit(), fix.toString());
        assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), Readelf.programHeaders(onHost).interpreter());
        assertEquals(Optional.of("$ORIGIN/../lib"), Readelf.dynamic(onHost).runpath());
        Processes.Result run = Processes.run(onHost.toString());
        assertEquals(0, run.exit(), run.toString());
        assertEquals(Fixtures.HELLO_OUTPUT, run.out());
        assertFalse(Files.exists(cache()), "retargeting away from the store reads no store index");

        CliRun again = CliRun.of("fix", "--target", "fhs", "--cache-dir", cache().toString(),
                "--state-dir", dir.resolve("state").toString(), onHost.toString());
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.out().contains("1 already fine"), again.out());
        assertNotEquals(sha256(nixBuilt), sha256(onHost));
    }
}
