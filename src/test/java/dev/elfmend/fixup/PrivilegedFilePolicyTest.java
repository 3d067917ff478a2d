package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.resolve.Resolver;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files elfmend leaves alone unless told otherwise: set-id and capability-carrying executables, files
 * with other hard links, and (as root in a user's tree) other users' files. Each is skipped with a
 * message that says why and how to allow it; allowed, the bits and capabilities survive the patch.
 */
class PrivilegedFilePolicyTest {

    @TempDir
    Path dir;

    NixRoot nix;
    Resolver resolver;
    Path tree;
    String nixLoader;

    @BeforeEach
    void store() throws IOException {
        nix = NixRoot.create(dir.resolve("nix"));
        resolver = FixerTest.resolver(nix);
        tree = Files.createDirectories(nix.host("/opt/tree"));
        nixLoader = NixRoot.inStore(nix.glibc()) + "/lib/ld-linux-x86-64.so.2";
    }

    private Fixer fixer(FilePolicy policy, boolean dryRun) {
        return new Fixer(nix.root(), NixRoot.STORE_DIR, resolver, null, Fixer.Target.NIX, dryRun, new Journal(), policy);
    }

    private Fixer.FileResult fixOne(FilePolicy policy, Path file) throws IOException {
        List<Fixer.FileResult> results = fixer(policy, false).run(List.of(tree), new Fixer.Listener() { });
        return results.stream().filter(r -> r.file().equals(file)).findFirst()
                .orElseThrow(() -> new AssertionError(file + " not among " + results));
    }

    private Path tool(String name) {
        return nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/tree/" + name);
    }

    private static int mode(Path file) throws IOException {
        return (int) Files.getAttribute(file, "unix:mode") & 07777;
    }

    private static String getcap(Path file) {
        return Processes.runOk(capTool("getcap"), file.toString()).out().trim();
    }

    private static String capTool(String name) {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            if (Files.isExecutable(Path.of(d, name))) {
                return d + "/" + name;
            }
        }
        Requirements.require(false, name, "apt-get install -y libcap2-bin");
        throw new AssertionError("unreachable");
    }

    private void assertUntouched(Path file, byte[] before, Object inode) throws IOException {
        assertArrayEquals(before, Files.readAllBytes(file), file + " keeps its bytes");
        assertEquals(inode, Files.getAttribute(file, "unix:ino"), file + " is the same file");
    }

    // ---------------------------------------------------------------- privileged files

    @Test
    void setUserIdRootExecutableIsSkippedWithTheReasonAndTheOptionThatAllowsIt() throws IOException {
        Path file = tool("su-like");
        Files.setAttribute(file, "unix:mode", 04755);
        byte[] before = Files.readAllBytes(file);
        Object inode = Files.getAttribute(file, "unix:ino");

        Fixer.FileResult r = fixOne(FilePolicy.DEFAULT, file);

        assertEquals(Fixer.Outcome.SKIPPED, r.outcome(), r.toString());
        String why = r.warnings().getFirst();
        assertTrue(why.contains("set-user-ID root executable"), why);
        assertTrue(why.contains("--allow-privileged") && why.contains("\"allowPrivileged\": true"), why);
        assertEquals(why, r.plan().note(), "check and JSON show the same reason");
        assertUntouched(file, before, inode);
        assertEquals(04755, mode(file));
    }

    @Test
    void setGroupIdExecutableIsSkippedByDefault() throws IOException {
        Path file = tool("sgid-tool");
        Files.setAttribute(file, "unix:mode", 02755);
        byte[] before = Files.readAllBytes(file);
        Object inode = Files.getAttribute(file, "unix:ino");

        Fixer.FileResult r = fixOne(FilePolicy.DEFAULT, file);

        assertEquals(Fixer.Outcome.SKIPPED, r.outcome(), r.toString());
        assertTrue(r.warnings().getFirst().startsWith("set-group-ID executable; not patched unless"), r.warnings().toString());
        assertUntouched(file, before, inode);
    }

    @Test
    void executableWithFileCapabilitiesIsSkippedByDefault() throws IOException {
        Requirements.requireRoot();
        Path file = tool("pinger");
        Processes.runOk(capTool("setcap"), "cap_net_raw+ep", file.toString());
        String caps = getcap(file);
        assertTrue(caps.contains("cap_net_raw=ep"), caps);
        byte[] before = Files.readAllBytes(file);
        Object inode = Files.getAttribute(file, "unix:ino");

        Fixer.FileResult r = fixOne(FilePolicy.DEFAULT, file);

        assertEquals(Fixer.Outcome.SKIPPED, r.outcome(), r.toString());
        assertTrue(r.warnings().getFirst().contains("file capabilities (security.capability)"), r.warnings().toString());
        assertUntouched(file, before, inode);
        assertEquals(caps, getcap(file));
    }

    @Test
    void allowedSetIdExecutablesArePatchedAndKeepTheirSetIdBits() throws IOException {
        Path setUid = tool("suid");
        Path setGid = tool("sgid");
        Path both = tool("both");
        Files.setAttribute(setUid, "unix:mode", 04755);
        Files.setAttribute(setGid, "unix:mode", 02711);
        Files.setAttribute(both, "unix:mode", 06750);
        List<Path> files = List.of(setUid, setGid, both);
        List<Object> inodes = new java.util.ArrayList<>();
        for (Path file : files) {
            inodes.add(Files.getAttribute(file, "unix:ino"));
        }

        List<Fixer.FileResult> results = fixer(new FilePolicy(true, false), false).run(List.of(tree),
                new Fixer.Listener() { });

        assertEquals(List.of(Fixer.Outcome.PATCHED, Fixer.Outcome.PATCHED, Fixer.Outcome.PATCHED),
                results.stream().map(Fixer.FileResult::outcome).toList(), results.toString());
        assertEquals(List.of(04755, 02711, 06750), List.of(mode(setUid), mode(setGid), mode(both)),
                "set-id bits survive");
        for (int i = 0; i < files.size(); i++) {
            assertNotEquals(inodes.get(i), Files.getAttribute(files.get(i), "unix:ino"), "replaced by a new file");
            assertEquals(Optional.of(nixLoader), Readelf.programHeaders(files.get(i)).interpreter());
        }
    }

    @Test
    void allowedCapabilityIsKeptExactly() throws IOException {
        Requirements.requireRoot();
        Path file = tool("pinger");
        Processes.runOk(capTool("setcap"), "cap_net_raw,cap_net_bind_service+eip", file.toString());
        String caps = getcap(file);
        Object inode = Files.getAttribute(file, "unix:ino");

        Fixer.FileResult r = fixOne(new FilePolicy(true, false), file);

        assertEquals(Fixer.Outcome.PATCHED, r.outcome(), r.toString());
        assertNotEquals(inode, Files.getAttribute(file, "unix:ino"), "the capability was given to the new file");
        assertEquals(caps, getcap(file));
        assertEquals(Optional.of(nixLoader), Readelf.programHeaders(file).interpreter());
    }

    @Test
    void setUidRootWithCapabilityKeepsBothAndItsOwnerWhenAllowed() throws IOException {
        Requirements.requireRoot();
        Path file = tool("both");
        Processes.runOk(capTool("setcap"), "cap_net_raw+ep", file.toString());
        Files.setAttribute(file, "unix:gid", 4321);
        Files.setAttribute(file, "unix:mode", 04710);
        String caps = getcap(file);

        Fixer.FileResult r = fixOne(new FilePolicy(true, false), file);

        assertEquals(Fixer.Outcome.PATCHED, r.outcome(), r.toString());
        Map<String, Object> a = Files.readAttributes(file, "unix:uid,gid,mode");
        assertEquals(0, a.get("uid"));
        assertEquals(4321, a.get("gid"));
        assertEquals(04710, (int) a.get("mode") & 07777, "chown cleared the bit; the mode after it restored it");
        assertEquals(caps, getcap(file), "chown cleared the capability; it was set again after");
    }

    /** The patcher decides again on the file it opened: a file that turns set-uid meanwhile is not replaced. */
    @Test
    void aFileThatBecomesSetUidWhileBeingPatchedIsLeftAlone() throws IOException {
        Path file = tool("turns-suid");
        AtomicInteger attempts = new AtomicInteger();
        ElfPatcher patcher = new ElfPatcher(tree, Fixer.tempDirFor(tree), FilePolicy.DEFAULT.guard(tree, -1),
                (source, copy) -> {
                    if (attempts.incrementAndGet() == 1) {
                        Files.setAttribute(source, "unix:mode", 04755);
                    }
                }, () -> { });
        byte[] before = Files.readAllBytes(file);

        FilePolicy.RefusedException e = assertThrows(FilePolicy.RefusedException.class,
                () -> patcher.patch(file, ElfEdits.builder().interpreter(nixLoader).build()));

        assertEquals(1, attempts.get(), "the second attempt was refused when it opened the file");
        assertTrue(e.getMessage().startsWith("set-user-ID root executable"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        AtomicReplaceTest.assertNoTempFiles(Fixer.tempDirFor(tree));
    }

    @Test
    void checkAndDryRunTellTheSameReason() throws IOException {
        Path file = tool("suid");
        Files.setAttribute(file, "unix:mode", 04755);

        Fixer.FileResult dry = fixer(FilePolicy.DEFAULT, true).run(List.of(tree), new Fixer.Listener() { }).getFirst();
        Fixer.FileResult allowed = fixer(new FilePolicy(true, false), true).run(List.of(tree),
                new Fixer.Listener() { }).getFirst();

        assertEquals(Fixer.Outcome.SKIPPED, dry.outcome());
        assertTrue(dry.plan().note().contains("--allow-privileged"), dry.plan().note());
        assertEquals(Fixer.Outcome.WOULD_PATCH, allowed.outcome());
    }

    // ---------------------------------------------------------------- owners

    @Test
    void asRootInAUsersTreeOnlyThatUsersFilesArePatchedAndOthersAreNamed() throws IOException {
        Requirements.requireRoot();
        Path mine = tool("mine");
        Path theirs = tool("theirs");
        Files.setAttribute(tree, "unix:uid", 1000);
        Files.setAttribute(mine, "unix:uid", 1000);
        Files.setAttribute(theirs, "unix:uid", 1234);
        byte[] before = Files.readAllBytes(theirs);
        Object inode = Files.getAttribute(theirs, "unix:ino");

        List<Fixer.FileResult> results = fixer(FilePolicy.DEFAULT, false).run(List.of(tree), new Fixer.Listener() { });

        Fixer.FileResult patched = results.stream().filter(r -> r.file().equals(mine)).findFirst().orElseThrow();
        Fixer.FileResult skipped = results.stream().filter(r -> r.file().equals(theirs)).findFirst().orElseThrow();
        assertEquals(Fixer.Outcome.PATCHED, patched.outcome(), patched.toString());
        assertEquals(1000, Files.getAttribute(mine, "unix:uid"), "the owner is kept");
        assertEquals(Fixer.Outcome.SKIPPED, skipped.outcome(), skipped.toString());
        String why = skipped.warnings().getFirst();
        assertTrue(why.startsWith("owned by uid 1234, not by "), why);
        assertTrue(why.contains("uid 1000") && why.contains(" who owns " + tree), why);
        assertTrue(why.contains("chown it to"), why);
        assertUntouched(theirs, before, inode);
    }

    @Test
    void inATreeOwnedByRootAFileOfAnyOwnerIsPatchedAndKeepsItsOwner() throws IOException {
        Requirements.requireRoot();
        Path file = tool("someones");
        Files.setAttribute(file, "unix:uid", 1234);
        Files.setAttribute(file, "unix:gid", 5678);

        Fixer.FileResult r = fixOne(FilePolicy.DEFAULT, file);

        assertEquals(Fixer.Outcome.PATCHED, r.outcome(), r.toString());
        assertEquals(1234, Files.getAttribute(file, "unix:uid"));
        assertEquals(5678, Files.getAttribute(file, "unix:gid"));
    }

    // ---------------------------------------------------------------- hard links

    @Test
    void aHardLinkedFileIsLeftAloneByDefaultSoEveryNameKeepsOneFile() throws IOException {
        Path file = tool("linked");
        Path other = Files.createDirectories(nix.host("/opt/elsewhere")).resolve("same-file");
        Files.createLink(other, file);
        byte[] before = Files.readAllBytes(file);
        Object inode = Files.getAttribute(file, "unix:ino");

        Fixer.FileResult r = fixOne(FilePolicy.DEFAULT, file);

        assertEquals(Fixer.Outcome.SKIPPED, r.outcome(), r.toString());
        assertEquals("has 2 hard links; patching would give this name a new file and leave the other 1 unpatched; "
                + "pass --allow-hardlinks (or set \"allowHardLinks\": true) to patch this name anyway",
                r.warnings().getFirst());
        assertUntouched(file, before, inode);
        assertEquals(inode, Files.getAttribute(other, "unix:ino"), "still one file under both names");
    }

    @Test
    void anAllowedHardLinkIsPatchedUnderThisNameAndTheWarningSaysTheOtherKeepsTheOriginal() throws IOException {
        Path file = tool("linked");
        Path other = Files.createDirectories(nix.host("/opt/elsewhere")).resolve("same-file");
        Files.createLink(other, file);
        byte[] before = Files.readAllBytes(file);

        Fixer.FileResult r = fixOne(new FilePolicy(false, true), file);

        assertEquals(Fixer.Outcome.PATCHED, r.outcome(), r.toString());
        assertEquals(List.of("had 2 hard links: this name now has the patched file, the other 1 still have the "
                + "unpatched one"), r.warnings());
        assertEquals(Optional.of(nixLoader), Readelf.programHeaders(file).interpreter());
        assertArrayEquals(before, Files.readAllBytes(other), "the other name keeps the original");
        assertEquals(1, Files.getAttribute(other, "unix:nlink"));
    }
}
