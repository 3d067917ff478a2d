package dev.elfmend.cli;

import static dev.elfmend.cli.FixCommandTest.inRoot;
import static dev.elfmend.cli.FixCommandTest.list;
import static dev.elfmend.cli.FixCommandTest.object;
import static dev.elfmend.cli.FixCommandTest.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.store.StorePath;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Objdump;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code elfmend check}: ldd without running anything, against a real store; and the --target-glibc report. */
class CheckCommandTest {

    @TempDir
    Path dir;

    private Path cache() {
        return dir.resolve("cache");
    }

    @Test
    void exitsThreeWhileSomethingNeedsFixingAndZeroAfterFix() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        Path tree = nix.host(vscode.tree());
        Map<String, String> before = snapshot(tree);
        String gccLib = NixRoot.inStore(nix.gccLib()) + "/lib";

        CliRun check = inRoot(nix, cache(), "check", tree.toString());

        assertEquals(3, check.exit(), check.toString());
        assertTrue(check.out().contains(nix.host(vscode.node()) + ": needs fixing (interpreter "
                + "/lib64/ld-linux-x86-64.so.2 does not exist)"), check.out());
        assertTrue(check.out().contains("    would set interpreter /lib64/ld-linux-x86-64.so.2 -> "
                + NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2"), check.out());
        assertTrue(check.out().contains("    libstdc++.so.6 => " + gccLib + "/libstdc++.so.6"), check.out());
        assertTrue(check.out().contains(nix.host(vscode.staticTool()) + ": skipped (statically linked)"), check.out());
        assertTrue(check.out().contains("3 ELF files: 0 fine, 2 need fixing, 0 unresolvable, 1 skipped, 0 unreadable"),
                check.out());
        assertEquals(before, snapshot(tree), "check changes nothing");
        assertFalse(Files.exists(nix.host("/var/lib/elfmend")), "check writes no journal");
        assertFalse(Files.exists(nix.host("/nix/var/nix/gcroots/elfmend")), "check makes no GC roots");

        CliRun fix = inRoot(nix, cache(), "fix", tree.toString());
        assertEquals(0, fix.exit(), fix.toString());
        CliRun after = inRoot(nix, cache(), "check", tree.toString());

        assertEquals(0, after.exit(), after.toString());
        assertTrue(after.out().contains(nix.host(vscode.node()) + ": ok"), after.out());
        assertTrue(after.out().contains("    libstdc++.so.6 => " + gccLib + "/libstdc++.so.6"), after.out());
        assertTrue(after.out().contains("3 ELF files: 2 fine, 0 need fixing"), after.out());
    }

    @Test
    void exitsFourAndListsEveryRejectedCandidateWithItsReason() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path build = dir.resolve("build");
        String old = nix.addPackage("fakecxx-12.0", Map.of("lib/libfakecxx.so.6",
                NixRoot.cxxLikeLibrary(build.resolve("12"), "libfakecxx.so.6", 30)), null);
        String i686 = nix.addPackage("fakecxx-20.0-i686", Map.of("lib/libfakecxx.so.6",
                NixRoot.cxxLikeLibrary(build.resolve("i686"), "libfakecxx.so.6", 32, "-m32")), null);
        Path newest = NixRoot.cxxLikeLibrary(build.resolve("14"), "libfakecxx.so.6", 32);
        nix.install(NixRoot.cxxLikeUser(build, newest, true), "/opt/app/cxxuse32");

        CliRun check = inRoot(nix, cache(), "check", nix.host("/opt/app").toString());

        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains(": unresolvable"), check.out());
        assertTrue(check.out().contains("    libfakecxx.so.6 => not found (no suitable candidate)"), check.out());
        assertTrue(check.out().contains("        rejected " + NixRoot.inStore(old)
                + "/lib/libfakecxx.so.6: missing GLIBCXX_3.4.32"), check.out());
        assertTrue(check.out().contains("        rejected " + NixRoot.inStore(i686)
                + "/lib/libfakecxx.so.6: wrong class (ELF32)"), check.out());

        CliRun json = inRoot(nix, cache(), "check", "--json", nix.host("/opt/app").toString());
        assertEquals(4, json.exit());
        Map<String, Object> file = object(list(JsonParser.parse(json.out())).getFirst());
        assertEquals("unresolved", file.get("outcome"));
        assertEquals("unresolvable", file.get("status"));
        Map<String, Object> need = list(file.get("needs")).stream().map(FixCommandTest::object)
                .filter(n -> n.get("name").equals("libfakecxx.so.6")).findFirst().orElseThrow();
        assertEquals(List.of(NixRoot.inStore(old) + "/lib/libfakecxx.so.6: missing GLIBCXX_3.4.32",
                NixRoot.inStore(i686) + "/lib/libfakecxx.so.6: wrong class (ELF32)"), need.get("rejected"));
    }

    @Test
    void aMissingPathIsAnErrorThatNamesIt() {
        CliRun check = CliRun.of("check", "--cache-dir", cache().toString(), "--root", dir.toString(),
                dir.resolve("nothing-here").toString());

        assertEquals(1, check.exit(), check.toString());
        assertTrue(check.err().contains(dir.resolve("nothing-here") + ": no such file or directory"), check.err());
    }

    // ---------------------------------------------------------------- --target-glibc

    @Test
    void targetGlibcListsExactlyTheSymbolsObjdumpShowsWithNewerGlibcVersions() {
        Path sigmask = Fixtures.glibcVersioned();
        Set<String> expected = Objdump.dynamicSymbols(sigmask).stream()
                .filter(s -> s.undefined() && s.version().startsWith("GLIBC_")
                        && StorePath.compareVersions(s.version().substring("GLIBC_".length()), "2.28") > 0)
                .map(s -> s.name() + "@" + s.version()).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(expected.contains("pthread_sigmask@GLIBC_2.32"), "fixture premise: " + expected);

        CliRun text = CliRun.of("check", "--target-glibc", "2.28", sigmask.toString());
        CliRun json = CliRun.of("check", "--target-glibc", "2.28", "--json", sigmask.toString());

        assertEquals(4, text.exit(), text.toString());
        Set<String> reported = new TreeSet<>();
        for (String line : text.out().lines().toList()) {
            String prefix = sigmask + ": ";
            assertTrue(line.startsWith(prefix), line);
            String[] words = line.substring(prefix.length()).split(" ");
            assertEquals("needs", words[1], line);
            assertEquals("(libc.so.6)", words[3], line);
            reported.add(words[0] + "@" + words[2]);
        }
        assertEquals(expected, reported);
        assertTrue(text.out().contains(sigmask + ": pthread_sigmask needs GLIBC_2.32 (libc.so.6)"), text.out());

        assertEquals(4, json.exit());
        Map<String, Object> file = object(list(JsonParser.parse(json.out())).getFirst());
        assertEquals(sigmask.toString(), file.get("path"));
        Set<String> fromJson = list(file.get("symbols")).stream().map(FixCommandTest::object)
                .map(m -> m.get("symbol") + "@" + m.get("version")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, fromJson);
    }

    @Test
    void targetGlibcAtOrAboveEveryNeedReportsNothing() {
        Path sigmask = Fixtures.glibcVersioned();
        String newestNeed = Objdump.dynamicSymbols(sigmask).stream()
                .filter(s -> s.undefined() && s.version().startsWith("GLIBC_"))
                .map(s -> s.version().substring("GLIBC_".length())).max(StorePath::compareVersions).orElseThrow();

        CliRun check = CliRun.of("check", "--target-glibc", newestNeed, sigmask.toString());

        assertEquals(0, check.exit(), check.toString());
        assertEquals("nothing needs a glibc newer than " + newestNeed + "\n", check.out());
    }
}
