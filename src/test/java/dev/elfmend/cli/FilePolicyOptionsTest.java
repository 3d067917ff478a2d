package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.config.ElfmendConfig;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Readelf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What users see of the file policy: fix and check name each file left alone and the option that
 * allows it; --allow-privileged and --allow-hardlinks (or the configuration's keys, for watch) allow it.
 */
class FilePolicyOptionsTest {

    @TempDir
    Path dir;

    NixRoot nix;
    Path app;
    String loader;

    @BeforeEach
    void root() {
        nix = NixRoot.create(dir.resolve("nix"));
        app = nix.host("/opt/app");
        loader = NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2";
    }

    private Path tool(String name) {
        return nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/" + name);
    }

    private CliRun inRoot(String command, String... args) {
        return FixCommandTest.inRoot(nix, dir.resolve("cache"), command, args);
    }

    @Test
    void fixNamesThePrivilegedFileItLeftAloneAndAllowPrivilegedPatchesIt() throws Exception {
        Path file = tool("suid");
        Files.setAttribute(file, "unix:mode", 04755);
        byte[] before = Files.readAllBytes(file);

        CliRun check = inRoot("check", app.toString());
        CliRun fix = inRoot("fix", app.toString());

        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().startsWith(file + ": skipped (set-user-ID root executable; not patched unless "
                + "privileged files are allowed (--allow-privileged"), check.out());
        assertEquals(0, fix.exit(), fix.toString());
        assertEquals("skipped " + file + ": set-user-ID root executable; not patched unless privileged files are "
                + "allowed (--allow-privileged, or \"allowPrivileged\": true in the configuration)",
                fix.out().lines().findFirst().orElseThrow());
        assertTrue(fix.out().contains("1 ELF files: 1 skipped"), fix.out());
        assertArrayEquals(before, Files.readAllBytes(file));

        CliRun allowed = inRoot("fix", "--allow-privileged", app.toString());

        assertEquals(0, allowed.exit(), allowed.toString());
        assertTrue(allowed.out().startsWith("patched " + file + ": "), allowed.out());
        assertEquals(04755, (int) Files.getAttribute(file, "unix:mode") & 07777);
        assertEquals(Optional.of(loader), Readelf.programHeaders(file).interpreter());
    }

    @Test
    void allowHardlinksWarnsThatTheOtherNamesKeepTheOriginalInTextAndJson() throws Exception {
        Path file = tool("linked");
        Path other = Files.createLink(dir.resolve("nix/root/opt/other-name"), file);

        CliRun refused = inRoot("fix", "--json", app.toString());
        CliRun text = inRoot("fix", "--dry-run", "--allow-hardlinks", app.toString());
        CliRun json = inRoot("fix", "--json", "--allow-hardlinks", app.toString());

        Map<String, Object> skipped = FixCommandTest.object(FixCommandTest.list(FixCommandTest.object(
                JsonParser.parse(refused.out())).get("files")).getFirst());
        assertEquals("skipped", skipped.get("outcome"));
        assertTrue(((String) skipped.get("note")).startsWith("has 2 hard links"), skipped.toString());
        assertEquals(List.of(skipped.get("note")), skipped.get("warnings"));
        assertTrue(text.out().startsWith("would patch " + file + ": "), text.out());
        Map<String, Object> patched = FixCommandTest.object(FixCommandTest.list(FixCommandTest.object(
                JsonParser.parse(json.out())).get("files")).getFirst());
        assertEquals("patched", patched.get("outcome"));
        assertEquals(List.of("had 2 hard links: this name now has the patched file, the other 1 still have the "
                + "unpatched one"), patched.get("warnings"));
        assertEquals(Optional.of(loader), Readelf.programHeaders(file).interpreter());
        assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), Readelf.programHeaders(other).interpreter());
    }

    @Test
    void fixPrintsTheHardLinkWarningUnderThePatchedLine() throws Exception {
        Path file = tool("linked");
        Files.createLink(dir.resolve("nix/root/opt/other-name"), file);

        CliRun fix = inRoot("fix", "--allow-hardlinks", app.toString());

        List<String> lines = fix.out().lines().toList();
        assertEquals(0, fix.exit(), fix.toString());
        assertTrue(lines.get(0).startsWith("patched " + file + ": "), fix.out());
        assertEquals("    warning: had 2 hard links: this name now has the patched file, the other 1 still have the "
                + "unpatched one", lines.get(1));
    }

    /** The daemon's fixers get the policy from the configuration file the NixOS module writes. */
    @Test
    void watchTakesAllowPrivilegedFromItsConfiguration() throws Exception {
        Path file = tool("suid");
        Files.setAttribute(file, "unix:mode", 04755);
        WatchCommand strict = watch();
        WatchCommand allowing = watch();
        allowing.applyConfig(ElfmendConfig.parse("{\"allowPrivileged\": true}"));

        Fixer.FileResult skipped = strict.environment().newFixer().fixFile(file, Fixer.tempDirFor(app));
        Fixer.FileResult patched = allowing.environment().newFixer().fixFile(file, Fixer.tempDirFor(app));

        assertEquals(Fixer.Outcome.SKIPPED, skipped.outcome(), skipped.toString());
        assertEquals(Fixer.Outcome.PATCHED, patched.outcome(), patched.toString());
        assertEquals(04755, (int) Files.getAttribute(file, "unix:mode") & 07777);
    }

    private WatchCommand watch() {
        WatchCommand cmd = new WatchCommand();
        new CommandLine(cmd).parseArgs("--root", nix.root().toString(), "--cache-dir", dir.resolve("cache").toString(),
                "--state-dir", dir.resolve("state").toString(), "--config", dir.resolve("unused.json").toString());
        return cmd;
    }
}
