package dev.elfmend.resolve;

import static dev.elfmend.resolve.ResolverTest.facts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.FsRootLookup;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reverse direction, planned against an ordinary (FHS) root: the standard loader, no store entries. */
class FhsRetargetTest {

    private static final String GLIBC = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40/lib";

    @TempDir
    Path root;

    private Path fhsRoot() throws IOException {
        Path lib = Files.createDirectories(root.resolve("lib/x86_64-linux-gnu"));
        Files.createDirectories(root.resolve("lib64"));
        Files.copy(NixRoot.hostLibrary("libc.so.6"), lib.resolve("libc.so.6"));
        Files.copy(NixRoot.hostLibrary("ld-linux-x86-64.so.2"), lib.resolve("ld-linux-x86-64.so.2"));
        Files.createSymbolicLink(root.resolve("lib64/ld-linux-x86-64.so.2"),
                Path.of("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
        return root;
    }

    /** hello as Nix would have built it: store loader, store run path, plus an $ORIGIN and a vendor entry. */
    private Path nixBuilt() throws IOException {
        Path file = Files.createDirectories(root.resolve("opt/app/bin")).resolve("hello");
        Files.copy(Fixtures.compile("hello", Fixtures.Variant.PIE), file, StandardCopyOption.REPLACE_EXISTING);
        Processes.runOk("patchelf", "--set-interpreter", GLIBC + "/ld-linux-x86-64.so.2", "--set-rpath",
                "$ORIGIN/../lib:" + GLIBC + ":/opt/vendor/lib", file.toString());
        return file;
    }

    private PatchPlan plan(Path file, String pathInRoot) throws IOException {
        return new FhsRetarget(new FsRootLookup(root), "/nix/store").plan(facts(file, pathInRoot));
    }

    @Test
    void theStoreLoaderBecomesTheStandardOneAndStoreEntriesGo() throws IOException {
        fhsRoot();
        PatchPlan plan = plan(nixBuilt(), "/opt/app/bin/hello");

        assertEquals(PatchPlan.Status.NEEDS_FIX, plan.status(), plan.toString());
        assertEquals("/lib64/ld-linux-x86-64.so.2", plan.interpreter());
        assertEquals("$ORIGIN/../lib:/opt/vendor/lib", plan.runPath());
        NeedResolution libc = plan.needs().getFirst();
        assertEquals("libc.so.6", libc.name());
        assertEquals(NeedResolution.Kind.KEPT, libc.kind());
        assertEquals("/lib/x86_64-linux-gnu/libc.so.6", libc.path());
        assertTrue(plan.storePaths().isEmpty());
    }

    @Test
    void aNeedTheTargetDoesNotHaveIsUnresolvable() throws IOException {
        PatchPlan plan = plan(nixBuilt(), "/opt/app/bin/hello");

        assertEquals(PatchPlan.Status.UNRESOLVABLE, plan.status());
        assertEquals("not in the target's library directories", plan.unresolved().getFirst().reason());
        assertEquals("/lib64/ld-linux-x86-64.so.2", plan.interpreter(), "the rest is still planned");
    }

    @Test
    void anOrdinaryBinaryIsAlreadyFineAndAStaticOneIsSkipped() throws IOException {
        fhsRoot();
        PatchPlan ordinary = plan(Fixtures.compile("hello", Fixtures.Variant.PIE), "/usr/bin/hello");
        PatchPlan stat = plan(Fixtures.compile("hello", Fixtures.Variant.STATIC), "/usr/bin/hello-static");

        assertEquals(PatchPlan.Status.OK, ordinary.status(), ordinary.toString());
        assertNull(ordinary.interpreter());
        assertNull(ordinary.runPath());
        assertEquals(PatchPlan.Status.SKIPPED, stat.status());
    }

    @Test
    void thirtyTwoBitBinariesGetTheirOwnStandardLoader() throws IOException {
        Path file = Files.copy(Fixtures.compile("hello", Fixtures.Variant.PIE_32), root.resolve("hello32"));
        Processes.runOk("patchelf", "--set-interpreter", GLIBC.replace("x86_64", "i686") + "/ld-linux.so.2",
                file.toString());
        PatchPlan plan = plan(file, "/usr/bin/hello32");

        assertEquals("/lib/ld-linux.so.2", plan.interpreter());
    }
}
