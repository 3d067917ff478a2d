package dev.elfmend.resolve;

import dev.elfmend.elf.ElfClass;
import dev.elfmend.elf.LinkKind;
import dev.elfmend.elf.Machine;
import dev.elfmend.store.LibraryIndex;
import dev.elfmend.store.StoreLibrary;
import dev.elfmend.store.StorePath;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, for one binary, which interpreter and run path make every need resolve from the store:
 * the loader and all glibc libraries from one glibc, other libraries from compatible store paths that
 * define the versions the binary needs and whose own needs resolve too; what the binary already finds
 * through its own run path ($ORIGIN) stays. Pure: the filesystem is reached only through
 * {@link RootLookup}, and the answer is deterministic.
 */
public final class Resolver {

    private static final int MAX_DEPTH = 8;

    private final LibraryIndex index;
    private final RootLookup root;
    private final ResolveConfig config;

    public Resolver(LibraryIndex index, RootLookup root, ResolveConfig config) {
        this.index = index;
        this.root = root;
        this.config = config;
    }

    public PatchPlan plan(BinaryFacts b) {
        if (b.linkKind().isStatic()) {
            return PatchPlan.skipped("statically linked");
        }
        if (b.linkKind() != LinkKind.DYNAMIC_EXECUTABLE && b.linkKind() != LinkKind.SHARED_OBJECT) {
            return PatchPlan.skipped("not an executable or shared object");
        }
        if (b.pathInRoot().startsWith(index.storeDir() + "/")) {
            return PatchPlan.skipped("inside the store");
        }
        String loader = Loaders.fileName(b.machine(), b.elf64(), b.bigEndian());
        PatchPlan current = asIs(b);
        if (current.status() == PatchPlan.Status.OK) {
            return current;
        }
        List<String> glibcs = glibcCandidates(b, loader);
        if (glibcs.isEmpty() && !hasCompatibleLibraries(b)) {
            return PatchPlan.skipped("no libraries for " + describeTarget(b) + " in the store");
        }
        PatchPlan best = null;
        for (String glibc : glibcs.isEmpty() ? java.util.Collections.<String>singletonList(null) : glibcs) {
            PatchPlan attempt = planWith(b, glibc, loader);
            if (best == null || attempt.unresolved().size() < best.unresolved().size()) {
                best = attempt;
            }
            if (attempt.unresolved().isEmpty()) {
                break;
            }
        }
        if (best.note() == null && current.note() != null) {
            // Why it needs fixing at all ("interpreter ... does not exist") is worth telling the user.
            best = new PatchPlan(best.status(), best.interpreter(), best.runPath(), best.needs(), best.storePaths(),
                    best.glibc(), current.note());
        }
        return best;
    }

    // ---------------------------------------------------------------- the binary as it is

    /** OK when the interpreter exists and every need is found through the binary's own search path. */
    private PatchPlan asIs(BinaryFacts b) {
        List<NeedResolution> needs = new ArrayList<>();
        boolean ok = b.interpreter() == null || root.exists(b.interpreter());
        List<String> dirs = new ArrayList<>(expand(b.searchEntries(), b.directory()));
        dirs.addAll(defaultDirectories(b));
        for (String need : b.needed()) {
            StoreLibrary found = findIn(dirs, need, b, b.versionNeeds().getOrDefault(need, List.of()));
            if (found == null) {
                ok = false;
                needs.add(new NeedResolution(need, NeedResolution.Kind.UNRESOLVED, null,
                        "not found through the current search path", List.of(), false));
            } else {
                needs.add(new NeedResolution(need, NeedResolution.Kind.KEPT, found.path(), null, List.of(), false));
            }
        }
        if (!ok) {
            return new PatchPlan(PatchPlan.Status.NEEDS_FIX, null, null, needs, Set.of(), null,
                    b.interpreter() != null && !root.exists(b.interpreter())
                            ? "interpreter " + b.interpreter() + " does not exist" : null);
        }
        Set<String> stores = new LinkedHashSet<>();
        needs.forEach(n -> addWithClosure(stores, n, null));
        addStorePath(stores, b.interpreter());
        return new PatchPlan(PatchPlan.Status.OK, null, null, needs, stores, null, null);
    }

    private List<String> defaultDirectories(BinaryFacts b) {
        return defaultDirectoriesFor(b);
    }

    /** The directories an ordinary distribution's loader searches by default for this kind of binary. */
    static List<String> defaultDirectoriesFor(BinaryFacts b) {
        String triplet = switch (b.machine()) {
            case 62 -> "x86_64-linux-gnu";
            case 183 -> "aarch64-linux-gnu";
            case 3 -> "i386-linux-gnu";
            case 40 -> "arm-linux-gnueabihf";
            case 21 -> b.bigEndian() ? "powerpc64-linux-gnu" : "powerpc64le-linux-gnu";
            case 22 -> "s390x-linux-gnu";
            case 243 -> "riscv64-linux-gnu";
            default -> "unknown";
        };
        return List.of("/lib/" + triplet, "/usr/lib/" + triplet, b.elf64() ? "/lib64" : "/lib32",
                b.elf64() ? "/usr/lib64" : "/usr/lib32", "/lib", "/usr/lib");
    }

    // ---------------------------------------------------------------- planning against one glibc

    private PatchPlan planWith(BinaryFacts b, String glibc, String loader) {
        List<String> kept = keptEntries(b);
        List<String> keptDirs = expand(kept, b.directory());
        List<NeedResolution> needs = new ArrayList<>();
        Set<String> stores = new LinkedHashSet<>();
        List<String> newDirs = new ArrayList<>();
        List<String> wanted = new ArrayList<>(b.needed());
        List<String> dlopen = new ArrayList<>(b.dlopenSonames());
        for (ResolveConfig.ExtraLibraries rule : config.extraLibraries()) {
            if (rule.matches(b.pathInRoot())) {
                dlopen.addAll(rule.libraries());
            }
        }
        for (String need : wanted) {
            NeedResolution r = resolveOne(b, need, glibc, keptDirs, false);
            needs.add(r);
            record(r, glibc, stores, newDirs);
        }
        for (String extra : new LinkedHashSet<>(dlopen)) {
            if (wanted.contains(extra)) {
                continue;
            }
            NeedResolution r = resolveOne(b, extra, glibc, keptDirs, true);
            needs.add(r);
            record(r, glibc, stores, newDirs);
        }
        String interpreter = null;
        if (b.interpreter() != null) {
            if (glibc != null && loader != null) {
                StoreLibrary ld = libraryIn(glibc, loader);
                if (ld != null) {
                    interpreter = ld.path();
                    stores.add(glibc);
                }
            }
            if (interpreter == null) {
                needs.add(new NeedResolution(loader == null ? "(interpreter)" : loader, NeedResolution.Kind.UNRESOLVED,
                        null, "no glibc loader for " + describeTarget(b) + " in the store", List.of(), false));
            }
        }
        List<String> runPath = new ArrayList<>(kept);
        for (String d : newDirs) {
            if (!runPath.contains(d)) {
                runPath.add(d);
            }
        }
        String wantedRunPath = String.join(":", runPath);
        String currentRunPath = b.runPath() != null ? b.runPath() : b.rPath();
        String setRunPath = wantedRunPath.equals(currentRunPath == null ? "" : currentRunPath) ? null : wantedRunPath;
        String setInterpreter = interpreter != null && !interpreter.equals(b.interpreter()) ? interpreter : null;
        boolean unresolved = needs.stream().anyMatch(n -> !n.resolved() && !n.dlopen());
        PatchPlan.Status status = unresolved ? PatchPlan.Status.UNRESOLVABLE : PatchPlan.Status.NEEDS_FIX;
        return new PatchPlan(status, setInterpreter, setRunPath, needs, stores, glibc, null);
    }

    private void record(NeedResolution r, String glibc, Set<String> stores, List<String> newDirs) {
        if (r.kind() == NeedResolution.Kind.STORE) {
            newDirs.add(r.directory());
        }
        addWithClosure(stores, r, glibc);
    }

    /**
     * A need found in the store, newly or through a run path entry kept from an earlier fix, must stay a
     * GC root, and so must what it loads in turn through its own run path (a store path's registered
     * references may not list them).
     */
    private void addWithClosure(Set<String> stores, NeedResolution r, String glibc) {
        if (r.path() == null || !r.path().startsWith(index.storeDir() + "/")) {
            return;
        }
        addStorePath(stores, r.path());
        for (StoreLibrary lib : index.candidates(r.name())) {
            if (lib.path().equals(r.path())) {
                dependencyProblem(lib, glibc, new HashSet<>(), 0, stores);
                break;
            }
        }
    }

    private NeedResolution resolveOne(BinaryFacts b, String need, String glibc, List<String> keptDirs, boolean dlopen) {
        List<String> versions = b.versionNeeds().getOrDefault(need, List.of());
        if (Loaders.isGlibcFamily(need) && glibc != null) {
            StoreLibrary lib = libraryIn(glibc, need);
            if (lib == null) {
                return new NeedResolution(need, NeedResolution.Kind.UNRESOLVED, null,
                        glibc + " does not provide it", List.of(), dlopen);
            }
            List<String> missing = missingVersions(lib, versions);
            if (!missing.isEmpty()) {
                return new NeedResolution(need, NeedResolution.Kind.UNRESOLVED, null,
                        "needs " + String.join(", ", missing) + ", which " + glibc + " does not define",
                        List.of(), dlopen);
            }
            return new NeedResolution(need, NeedResolution.Kind.STORE, lib.path(), null, List.of(), dlopen);
        }
        StoreLibrary local = findIn(keptDirs, need, b, versions);
        if (local != null) {
            return new NeedResolution(need, NeedResolution.Kind.KEPT, local.path(), null, List.of(), dlopen);
        }
        List<String> rejected = new ArrayList<>();
        List<StoreLibrary> fitting = new ArrayList<>();
        for (StoreLibrary c : index.candidates(need)) {
            String why = rejection(c, b, versions, glibc);
            if (why == null) {
                fitting.add(c);
            } else {
                rejected.add(c.path() + ": " + why);
            }
        }
        if (fitting.isEmpty()) {
            String reason = rejected.isEmpty() ? "no store path provides it" : "no suitable candidate";
            return new NeedResolution(need, NeedResolution.Kind.UNRESOLVED, null, reason, rejected, dlopen);
        }
        fitting.sort(preference());
        return new NeedResolution(need, NeedResolution.Kind.STORE, fitting.get(0).path(), null, rejected, dlopen);
    }

    /** Why a candidate cannot serve this binary, or null when it can. */
    private String rejection(StoreLibrary c, BinaryFacts b, List<String> versions, String glibc) {
        if (c.elfClass() != b.elfClass()) {
            return "wrong class (ELF" + (c.elfClass() == 2 ? 64 : 32) + ")";
        }
        if (c.bigEndian() != b.bigEndian()) {
            return "wrong byte order";
        }
        if (c.machine() != b.machine()) {
            ElfClass elfClass = c.elfClass() == 2 ? ElfClass.ELF64 : ElfClass.ELF32;
            return "wrong machine (" + Machine.of(c.machine(), elfClass).name() + ")";
        }
        if (!osAbiCompatible(c.osAbi(), b.osAbi())) {
            return "incompatible OS/ABI " + c.osAbi();
        }
        List<String> missing = missingVersions(c, versions);
        if (!missing.isEmpty()) {
            return "missing " + String.join(", ", missing);
        }
        return dependencyProblem(c, glibc, new HashSet<>(), 0, new HashSet<>());
    }

    /**
     * The candidate's own needs must resolve through its own run path, against the chosen glibc; the
     * store paths they resolve to are added to {@code closure}.
     */
    private String dependencyProblem(StoreLibrary lib, String glibc, Set<String> visited, int depth,
                                     Set<String> closure) {
        if (depth > MAX_DEPTH || !visited.add(lib.path())) {
            return null;
        }
        List<String> dirs = lib.runPath() == null ? List.of() : expand(List.of(lib.runPath().split(":")),
                lib.directory());
        for (String need : lib.needed()) {
            List<String> versions = lib.versionsNeededFrom(need);
            if (Loaders.isGlibcFamily(need)) {
                if (glibc == null) {
                    continue;
                }
                StoreLibrary g = libraryIn(glibc, need);
                if (g == null && !Loaders.isLoaderName(need)) {
                    return "its need " + need + " is not in " + glibc;
                }
                List<String> missing = g == null ? List.of() : missingVersions(g, versions);
                if (!missing.isEmpty()) {
                    return "needs " + String.join(", ", missing) + " from " + need + ", newer than " + glibc;
                }
                continue;
            }
            StoreLibrary dep = firstInDirectories(dirs, need, lib);
            if (dep == null) {
                return "its need " + need + " is not found through its run path";
            }
            List<String> depMissing = missingVersions(dep, versions);
            if (!depMissing.isEmpty()) {
                return "its need " + dep.path() + " lacks " + String.join(", ", depMissing);
            }
            if (dep.storePath() != null) {
                closure.add(dep.storePath());
            }
            String deeper = dependencyProblem(dep, glibc, visited, depth + 1, closure);
            if (deeper != null) {
                return deeper;
            }
        }
        return null;
    }

    /** What the loader would pick for {@code lib}'s need: the first run path directory with a compatible file. */
    private StoreLibrary firstInDirectories(List<String> dirs, String need, StoreLibrary lib) {
        List<StoreLibrary> candidates = index.candidates(need);
        for (String dir : dirs) {
            for (StoreLibrary c : candidates) {
                if (c.directory().equals(dir) && c.machine() == lib.machine() && c.elfClass() == lib.elfClass()
                        && c.bigEndian() == lib.bigEndian()) {
                    return c;
                }
            }
        }
        return null;
    }

    private static boolean osAbiCompatible(int a, int b) {
        return a == b || (a == 0 || a == 3) && (b == 0 || b == 3);
    }

    private static List<String> missingVersions(StoreLibrary lib, List<String> versions) {
        return versions.stream().filter(v -> !lib.defines(v)).toList();
    }

    private Comparator<StoreLibrary> preference() {
        Comparator<StoreLibrary> pinned = Comparator.comparingInt(l -> pinRank(l.storePath()));
        Comparator<StoreLibrary> profile = Comparator.comparing(l -> !config.profileClosure().contains(l.storePath()));
        Comparator<StoreLibrary> newest = (x, y) -> y.store().compareTo(x.store());
        return pinned.thenComparing(profile).thenComparing(newest).thenComparing(StoreLibrary::path);
    }

    private int pinRank(String storePath) {
        StorePath sp = new StorePath(storePath);
        for (int i = 0; i < config.preferred().size(); i++) {
            String p = config.preferred().get(i);
            if (p.equals(storePath) || p.equals(sp.packageName()) || p.equals(sp.name())
                    || p.equals(index.storeDir() + "/" + storePath)) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    // ---------------------------------------------------------------- glibc

    /** Store paths that hold this machine's loader and libc, most preferred first. */
    private List<String> glibcCandidates(BinaryFacts b, String loader) {
        if (loader == null) {
            return List.of();
        }
        List<StoreLibrary> loaders = new ArrayList<>();
        for (StoreLibrary l : index.candidates(loader)) {
            if (l.machine() == b.machine() && l.elfClass() == b.elfClass() && l.bigEndian() == b.bigEndian()
                    && libraryIn(l.storePath(), "libc.so.6") != null) {
                loaders.add(l);
            }
        }
        loaders.sort(preference());
        return loaders.stream().map(StoreLibrary::storePath).distinct().toList();
    }

    private StoreLibrary libraryIn(String storePath, String fileName) {
        for (StoreLibrary l : index.librariesIn(storePath)) {
            if (l.fileName().equals(fileName) && l.directory().equals(index.storeDir() + "/" + storePath + "/lib")) {
                return l;
            }
        }
        for (StoreLibrary l : index.librariesIn(storePath)) {
            if (l.fileName().equals(fileName)) {
                return l;
            }
        }
        return null;
    }

    private boolean hasCompatibleLibraries(BinaryFacts b) {
        for (String need : b.needed()) {
            for (StoreLibrary c : index.candidates(need)) {
                if (c.machine() == b.machine() && c.elfClass() == b.elfClass()) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- search paths

    /** Entries of the current run path worth keeping: they exist under the root and their store path is valid. */
    private List<String> keptEntries(BinaryFacts b) {
        List<String> out = new ArrayList<>();
        for (String entry : b.searchEntries()) {
            if (entry.contains("$ORIGIN") || entry.contains("${ORIGIN}")) {
                String dir = expand(List.of(entry), b.directory()).get(0);
                if (root.exists(dir)) {
                    out.add(entry);
                }
                continue;
            }
            if (!entry.startsWith("/") || !root.exists(entry)) {
                continue;
            }
            if (entry.startsWith(index.storeDir() + "/")) {
                String base = entry.substring(index.storeDir().length() + 1).split("/")[0];
                if (!index.contains(base)) {
                    continue;
                }
                if (!index.librariesIn(base).isEmpty() && isGlibcPath(base)) {
                    continue; // the glibc dir is chosen afresh, so two glibcs never mix
                }
            }
            out.add(entry);
        }
        return out;
    }

    private boolean isGlibcPath(String storePath) {
        return index.librariesIn(storePath).stream().anyMatch(l -> l.fileName().equals("libc.so.6"));
    }

    private static List<String> expand(List<String> entries, String origin) {
        List<String> out = new ArrayList<>();
        for (String e : entries) {
            if (e.isEmpty()) {
                continue;
            }
            String x = e.replace("${ORIGIN}", origin).replace("$ORIGIN", origin);
            out.add(normalize(x));
        }
        return out;
    }

    static String normalize(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(p);
            }
        }
        return "/" + String.join("/", parts);
    }

    private StoreLibrary findIn(List<String> dirs, String need, BinaryFacts b, List<String> versions) {
        for (String dir : dirs) {
            StoreLibrary lib = root.library(dir + "/" + need);
            if (lib != null && lib.machine() == b.machine() && lib.elfClass() == b.elfClass()
                    && lib.bigEndian() == b.bigEndian() && missingVersions(lib, versions).isEmpty()) {
                return lib;
            }
        }
        return null;
    }

    private void addStorePath(Set<String> stores, String path) {
        String prefix = index.storeDir() + "/";
        if (path != null && path.startsWith(prefix)) {
            String base = path.substring(prefix.length()).split("/")[0];
            if (StorePath.isValidBaseName(base)) {
                stores.add(base);
            }
        }
    }

    private static String describeTarget(BinaryFacts b) {
        return (b.elf64() ? "64" : "32") + "-bit " + (b.bigEndian() ? "big" : "little") + "-endian machine "
                + b.machine();
    }
}
