package dev.elfmend.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.fixup.ElfPatcher;
import dev.elfmend.fixup.FsRootLookup;
import dev.elfmend.fixup.OpenElf;
import dev.elfmend.store.LibraryIndex;
import dev.elfmend.store.StoreScanner;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plans against a real Nix store holding two glibcs, several builds of a libstdc++-like library
 * (different GLIBCXX_3.4.* version sets, one 32-bit, one for another machine), a library with a
 * broken run path next to a good one, and a stray libm outside glibc.
 */
class ResolverTest {

    static final String VSCODE = "/home/u/.vscode-server/bin/abc";

    @TempDir
    static Path shared;

    static NixRoot nix;
    static LibraryIndex index;
    static String newerGlibc;
    static String libmExtra;
    static Map<String, String> cxx;
    static String bar;
    static String fooGood;
    static String fooBroken;

    @BeforeAll
    static void buildStore() throws IOException {
        nix = NixRoot.create(shared.resolve("nix"));
        newerGlibc = nix.addGlibc("glibc-2.99");
        libmExtra = nix.addPackage("libm-extra-9.0", Map.of("lib/libm.so.6", NixRoot.hostLibrary("libm.so.6")), null);

        Path build = shared.resolve("build");
        cxx = new java.util.LinkedHashMap<>();
        cxx.put("12.0", addCxx("fakecxx-12.0", NixRoot.cxxLikeLibrary(build.resolve("12"), "libfakecxx.so.6", 30)));
        cxx.put("13.0", addCxx("fakecxx-13.0", NixRoot.cxxLikeLibrary(build.resolve("13"), "libfakecxx.so.6", 31)));
        Path level32 = NixRoot.cxxLikeLibrary(build.resolve("14"), "libfakecxx.so.6", 32);
        cxx.put("14.0", addCxx("fakecxx-14.0", level32));
        cxx.put("14.1", addCxx("fakecxx-14.1", level32));
        Requirements.require(Fixtures.gccM32Works(), "32-bit compiler (gcc -m32)", "apt-get install -y gcc-multilib");
        cxx.put("i686", addCxx("fakecxx-20.0-i686",
                NixRoot.cxxLikeLibrary(build.resolve("i686"), "libfakecxx.so.6", 32, "-m32")));
        Path otherMachine = Files.copy(level32, build.resolve("libfakecxx-aarch64.so.6"));
        setMachine(otherMachine, 183);
        cxx.put("aarch64", addCxx("fakecxx-21.0", otherMachine));
        NixRoot.cxxLikeUser(build, level32, true);
        NixRoot.cxxLikeUser(build, level32, false);
        nix.install(build.resolve("cxxuse32"), "/opt/cxx/cxxuse32");
        nix.install(build.resolve("cxxuse30"), "/opt/cxx/cxxuse30");

        Fixtures.Chain chain = Fixtures.chain();
        bar = nix.addPackage("bar-1.0", Map.of("lib/libbar.so.1", chain.libbar()), null);
        fooGood = nix.addPackage("foo-1.0", Map.of("lib/libfoo.so.1", chain.libfoo()),
                NixRoot.inStore(bar) + "/lib");
        fooBroken = nix.addPackage("foo-2.0", Map.of("lib/libfoo.so.1", chain.libfoo()), null);
        nix.install(chain.executable(), "/opt/app/chain");

        // An addon next to node that finds its own library through $ORIGIN.
        Path addon = NixRoot.gcc(build.resolve("addon.node"), List.of("-shared", "-fPIC", "-Wl,-soname,addon.node",
                "-Wl,--enable-new-dtags,-rpath,$ORIGIN", Path.of("src/test/c/addon.c").toAbsolutePath().toString(),
                "-L" + chain.directory(), "-l:libbar.so.1"));
        nix.install(addon, VSCODE + "/addon.node");
        nix.install(chain.libbar(), VSCODE + "/libbar.so.1");
        Path vips = RegistryBinaries.sharpLibvips();
        nix.install(vips, VSCODE + "/node_modules/@img/sharp-libvips-linux-x64/lib/" + vips.getFileName());
        nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), VSCODE + "/bin/vsce-sign");
        nix.install(Fixtures.compile("hello", Fixtures.Variant.RUNPATH), "/app/bin/hello");
        Files.createDirectories(nix.host("/opt/elfmend-fixture/lib"));
        nix.install(Fixtures.compile("hello", Fixtures.Variant.STATIC), "/opt/app/static-hello");
        nix.install(Fixtures.versionedUser(), "/opt/app/usever");
        nix.install(NixRoot.gcc(build.resolve("dlopener"), List.of(
                Path.of("src/test/c/dlopener.c").toAbsolutePath().toString())), "/opt/app/dlopener");

        index = new StoreScanner(nix.root(), NixRoot.STORE_DIR).refresh(LibraryIndex.empty(NixRoot.STORE_DIR)).index();
    }

    private static String addCxx(String name, Path library) {
        return nix.addPackage(name, Map.of("lib/libfakecxx.so.6", library), null);
    }

    /** Rewrites e_machine (little-endian, offset 18): the same library, as if built for another machine. */
    private static void setMachine(Path file, int machine) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(18);
            f.write(new byte[] {(byte) machine, (byte) (machine >> 8)});
        }
    }

    private static Resolver resolver(ResolveConfig config) {
        return new Resolver(index, new FsRootLookup(nix.root()), config);
    }

    private static ResolveConfig prefer(String... names) {
        return new ResolveConfig(List.of(names), Set.of(), List.of());
    }

    static BinaryFacts facts(Path file, String pathInRoot) throws IOException {
        try (OpenElf open = OpenElf.open(file, false)) {
            return BinaryFacts.of(pathInRoot, open.elf());
        }
    }

    private static BinaryFacts inRoot(String pathInRoot) throws IOException {
        return facts(nix.host(pathInRoot), pathInRoot);
    }

    private static PatchPlan plan(String pathInRoot) throws IOException {
        return resolver(ResolveConfig.defaults()).plan(inRoot(pathInRoot));
    }

    private static NeedResolution need(PatchPlan plan, String name) {
        return plan.needs().stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no need " + name + " in " + plan));
    }

    private static String lib(String storePath, String file) {
        return NixRoot.inStore(storePath) + "/lib/" + file;
    }

    private static String rejection(NeedResolution n, String storePath) {
        String prefix = NixRoot.inStore(storePath) + "/";
        return n.rejected().stream().filter(r -> r.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError(storePath + " not among rejected " + n.rejected()));
    }

    private static List<String> runPath(PatchPlan plan) {
        return List.of(plan.runPath().split(":"));
    }

    // ---------------------------------------------------------------- symbol versions and preferences

    @Test
    void theCandidateDefiningTheNeededVersionsWinsAndTheOthersAreListedWithReasons() throws IOException {
        PatchPlan plan = plan("/opt/cxx/cxxuse32");

        assertEquals(PatchPlan.Status.NEEDS_FIX, plan.status());
        NeedResolution n = need(plan, "libfakecxx.so.6");
        assertEquals(NeedResolution.Kind.STORE, n.kind());
        assertEquals(lib(cxx.get("14.1"), "libfakecxx.so.6"), n.path(), "the newest of the two that fit");
        assertTrue(rejection(n, cxx.get("12.0")).endsWith(": missing GLIBCXX_3.4.32"), n.rejected().toString());
        assertTrue(rejection(n, cxx.get("13.0")).endsWith(": missing GLIBCXX_3.4.32"), n.rejected().toString());
        assertTrue(rejection(n, cxx.get("i686")).endsWith(": wrong class (ELF32)"), n.rejected().toString());
        assertTrue(rejection(n, cxx.get("aarch64")).endsWith(": wrong machine (aarch64)"), n.rejected().toString());
        assertEquals(4, n.rejected().size(), n.rejected().toString());
        assertTrue(runPath(plan).contains(NixRoot.inStore(cxx.get("14.1")) + "/lib"), plan.runPath());
        assertTrue(plan.storePaths().contains(cxx.get("14.1")));
    }

    @Test
    void amongFittingCandidatesTheNewestWins() throws IOException {
        NeedResolution n = need(plan("/opt/cxx/cxxuse30"), "libfakecxx.so.6");

        assertEquals(lib(cxx.get("14.1"), "libfakecxx.so.6"), n.path());
        assertEquals(2, n.rejected().size(), "only the other class and machine: " + n.rejected());
    }

    @Test
    void aPreferredPackageWinsOverTheNewestButNeverOverAMissingVersion() throws IOException {
        Resolver preferring = resolver(prefer("fakecxx-13.0"));

        assertEquals(lib(cxx.get("13.0"), "libfakecxx.so.6"),
                need(preferring.plan(inRoot("/opt/cxx/cxxuse30")), "libfakecxx.so.6").path());
        NeedResolution needs32 = need(preferring.plan(inRoot("/opt/cxx/cxxuse32")), "libfakecxx.so.6");
        assertEquals(lib(cxx.get("14.1"), "libfakecxx.so.6"), needs32.path());
        assertTrue(rejection(needs32, cxx.get("13.0")).endsWith("missing GLIBCXX_3.4.32"));
        assertEquals(lib(cxx.get("14.0"), "libfakecxx.so.6"), need(resolver(prefer(NixRoot.inStore(cxx.get("14.0"))))
                .plan(inRoot("/opt/cxx/cxxuse32")), "libfakecxx.so.6").path(), "a full store path pins one build");
    }

    @Test
    void theProfileClosureComesAfterPreferencesAndBeforeTheNewest() throws IOException {
        ResolveConfig profile = new ResolveConfig(List.of(), Set.of(cxx.get("12.0")), List.of());
        ResolveConfig both = new ResolveConfig(List.of("fakecxx-13.0"), Set.of(cxx.get("12.0")), List.of());

        assertEquals(lib(cxx.get("12.0"), "libfakecxx.so.6"),
                need(resolver(profile).plan(inRoot("/opt/cxx/cxxuse30")), "libfakecxx.so.6").path());
        assertEquals(lib(cxx.get("13.0"), "libfakecxx.so.6"),
                need(resolver(both).plan(inRoot("/opt/cxx/cxxuse30")), "libfakecxx.so.6").path());
    }

    @Test
    void thePlannedBinaryRunsWithTheChosenLibrary() throws IOException {
        Path copy = nix.install(nix.host("/opt/cxx/cxxuse32"), "/opt/cxx/run/cxxuse32");
        PatchPlan plan = plan("/opt/cxx/run/cxxuse32");
        apply(copy, plan);

        Processes.Result run = nix.chroot("/opt/cxx/run/cxxuse32");
        assertEquals(0, run.exit(), run.err());
        assertEquals("cxx=62\n", run.out());
        PatchPlan again = plan("/opt/cxx/run/cxxuse32");
        assertEquals(PatchPlan.Status.OK, again.status(), "a patched binary needs nothing more: " + again);
        assertFalse(again.changes());
        assertEquals(plan.storePaths(), again.storePaths());
    }

    // ---------------------------------------------------------------- glibc

    @Test
    void theLoaderAndEveryGlibcLibraryComeFromOneGlibc() throws IOException {
        BinaryFacts node = facts(RegistryBinaries.nodeLinux("x64"), VSCODE + "/node");
        PatchPlan plan = resolver(ResolveConfig.defaults()).plan(node);

        assertEquals(PatchPlan.Status.NEEDS_FIX, plan.status(), plan.toString());
        assertEquals(newerGlibc, plan.glibc(), "the newest glibc");
        assertEquals(lib(newerGlibc, "ld-linux-x86-64.so.2"), plan.interpreter());
        for (String g : List.of("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "ld-linux-x86-64.so.2")) {
            assertEquals(lib(newerGlibc, g), need(plan, g).path(), g);
        }
        assertEquals(lib(nix.gccLib(), "libstdc++.so.6"), need(plan, "libstdc++.so.6").path());
        assertEquals(lib(nix.gccLib(), "libgcc_s.so.1"), need(plan, "libgcc_s.so.1").path());
        assertEquals(Set.of(NixRoot.inStore(newerGlibc) + "/lib", NixRoot.inStore(nix.gccLib()) + "/lib"),
                Set.copyOf(runPath(plan)));
        assertEquals(Set.of(newerGlibc, nix.gccLib()), plan.storePaths());
        assertFalse(plan.runPath().contains(libmExtra), "libm comes with glibc, never from elsewhere");

        PatchPlan older = resolver(prefer("glibc-" + NixRoot.hostGlibcVersion())).plan(node);
        assertEquals(nix.glibc(), older.glibc());
        assertEquals(lib(nix.glibc(), "ld-linux-x86-64.so.2"), older.interpreter());
        assertEquals(lib(nix.glibc(), "libm.so.6"), need(older, "libm.so.6").path());
        assertFalse(older.runPath().contains(newerGlibc), older.runPath());
    }

    @Test
    void aSharedObjectGetsARunPathButNoInterpreter() throws IOException {
        BinaryFacts watcher = facts(RegistryBinaries.parcelWatcher(), VSCODE + "/watcher.node");
        PatchPlan plan = resolver(ResolveConfig.defaults()).plan(watcher);

        assertEquals(PatchPlan.Status.NEEDS_FIX, plan.status());
        assertNull(plan.interpreter());
        assertEquals(Set.of(NixRoot.inStore(newerGlibc) + "/lib", NixRoot.inStore(nix.gccLib()) + "/lib"),
                Set.copyOf(runPath(plan)));
    }

    // ---------------------------------------------------------------- what stays, what goes

    @Test
    void originEntriesThatResolveInsideTheTreeAreKept() throws IOException {
        Path vips = RegistryBinaries.sharpLibvips();
        String vipsInRoot = VSCODE + "/node_modules/@img/sharp-libvips-linux-x64/lib/" + vips.getFileName();
        PatchPlan vipsPlan = plan(vipsInRoot);
        assertEquals("$ORIGIN/", runPath(vipsPlan).getFirst(), vipsPlan.runPath());
        assertTrue(runPath(vipsPlan).contains(NixRoot.inStore(newerGlibc) + "/lib"), vipsPlan.runPath());
        assertEquals(lib(newerGlibc, "libresolv.so.2"), need(vipsPlan, "libresolv.so.2").path());

        PatchPlan addon = plan(VSCODE + "/addon.node");
        NeedResolution libbar = need(addon, "libbar.so.1");
        assertEquals(NeedResolution.Kind.KEPT, libbar.kind(), "found beside it, not taken from the store");
        assertEquals(VSCODE + "/libbar.so.1", libbar.path());
        assertEquals("$ORIGIN:" + NixRoot.inStore(newerGlibc) + "/lib", addon.runPath());
        assertFalse(addon.storePaths().contains(bar));
    }

    @Test
    void fhsEntriesThatDoNotExistUnderTheRootAreDropped() throws IOException {
        PatchPlan plan = plan("/app/bin/hello");

        // $ORIGIN/../lib is /app/lib: missing. /opt/elfmend-fixture/lib exists in the root: kept.
        assertEquals("/opt/elfmend-fixture/lib:" + NixRoot.inStore(newerGlibc) + "/lib", plan.runPath());
    }

    // ---------------------------------------------------------------- dlopen and transitive needs

    @Test
    void extraLibraryRulesAddTheDirectoryOfWhatIsLoadedWithDlopen() throws IOException {
        String signer = VSCODE + "/bin/vsce-sign";
        ResolveConfig rule = new ResolveConfig(List.of(), Set.of(),
                List.of(new ResolveConfig.ExtraLibraries("*/vsce-sign", List.of("libbar.so.1", "libnotthere.so.3"))));

        PatchPlan plan = resolver(rule).plan(inRoot(signer));

        NeedResolution libbar = need(plan, "libbar.so.1");
        assertTrue(libbar.dlopen());
        assertEquals(lib(bar, "libbar.so.1"), libbar.path());
        assertTrue(runPath(plan).contains(NixRoot.inStore(bar) + "/lib"), plan.runPath());
        assertTrue(plan.storePaths().contains(bar));
        NeedResolution missing = need(plan, "libnotthere.so.3");
        assertFalse(missing.resolved());
        assertTrue(missing.dlopen());
        assertEquals(PatchPlan.Status.NEEDS_FIX, plan.status(), "a library loaded later is not a reason to fail");

        PatchPlan without = plan(signer);
        assertFalse(without.runPath().contains(bar), without.runPath());
        PatchPlan otherFile = resolver(rule).plan(inRoot("/opt/cxx/cxxuse30"));
        assertFalse(otherFile.runPath().contains(bar), "the rule's glob does not match: " + otherFile.runPath());
    }

    @Test
    void librariesNamedInDlopenNotesAreResolvedToo() throws IOException {
        PatchPlan plan = plan("/opt/app/dlopener");

        NeedResolution libbar = need(plan, "libbar.so.1");
        assertTrue(libbar.dlopen());
        assertEquals(lib(bar, "libbar.so.1"), libbar.path());
        assertEquals(NixRoot.inStore(newerGlibc) + "/lib:" + NixRoot.inStore(bar) + "/lib", plan.runPath());
    }

    @Test
    void aLibraryWhoseOwnNeedIsNotFoundThroughItsRunPathIsRejected() throws IOException {
        PatchPlan plan = plan("/opt/app/chain");

        NeedResolution foo = need(plan, "libfoo.so.1");
        assertEquals(lib(fooGood, "libfoo.so.1"), foo.path(), "not the newer, broken build");
        assertTrue(rejection(foo, fooBroken).endsWith(": its need libbar.so.1 is not found through its run path"),
                foo.rejected().toString());
        assertTrue(plan.storePaths().contains(bar), "what libfoo loads must outlive a GC too: " + plan.storePaths());
        assertFalse(runPath(plan).contains(NixRoot.inStore(bar) + "/lib"), "libfoo finds it itself: " + plan.runPath());

        Path copy = nix.install(nix.host("/opt/app/chain"), "/opt/app/run/chain");
        apply(copy, plan("/opt/app/run/chain"));
        Processes.Result run = nix.chroot("/opt/app/run/chain");
        assertEquals(Fixtures.Chain.OUTPUT, run.out(), run.err());
    }

    // ---------------------------------------------------------------- what cannot be done

    @Test
    void aNeedNoStorePathProvidesLeavesThePlanUnresolvable() throws IOException {
        PatchPlan plan = plan("/opt/app/usever");

        assertEquals(PatchPlan.Status.UNRESOLVABLE, plan.status());
        NeedResolution libver = need(plan, "libver.so.1");
        assertFalse(libver.resolved());
        assertEquals("no store path provides it", libver.reason());
        assertEquals(List.of(libver), plan.unresolved());
        assertNotNull(plan.interpreter(), "what can be fixed is still planned");
    }

    @Test
    void staticBinariesFilesInTheStoreAndOtherMachinesAreSkipped() throws IOException {
        assertEquals(PatchPlan.Status.SKIPPED, plan("/opt/app/static-hello").status());
        assertEquals("statically linked", plan("/opt/app/static-hello").note());

        String inStore = lib(nix.gccLib(), "libstdc++.so.6");
        PatchPlan store = plan(inStore);
        assertEquals(PatchPlan.Status.SKIPPED, store.status());
        assertEquals("inside the store", store.note());

        PatchPlan arm = resolver(ResolveConfig.defaults()).plan(facts(RegistryBinaries.nodeLinux("arm64"),
                "/opt/arm/node"));
        assertEquals(PatchPlan.Status.SKIPPED, arm.status());
        assertTrue(arm.note().startsWith("no libraries for 64-bit little-endian machine"), arm.note());
    }

    private static void apply(Path file, PatchPlan plan) throws IOException {
        ElfEdits.Builder edits = ElfEdits.builder();
        if (plan.interpreter() != null) {
            edits.interpreter(plan.interpreter());
        }
        if (plan.runPath() != null) {
            edits.runPath(plan.runPath());
        }
        new ElfPatcher(null).patch(file, edits.build());
    }
}
