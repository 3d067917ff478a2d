package dev.elfmend.resolve;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The reverse direction: a Nix-built binary made to run on an ordinary distribution. The interpreter
 * becomes the platform's standard loader path; run path entries into the store are dropped (the
 * distribution's default directories take over); $ORIGIN and other entries stay. Needs are checked
 * against the target root's default directories.
 */
public final class FhsRetarget {

    private final RootLookup root;
    private final String storeDir;

    public FhsRetarget(RootLookup root, String storeDir) {
        this.root = root;
        this.storeDir = storeDir;
    }

    public PatchPlan plan(BinaryFacts b) {
        if (b.linkKind().isStatic()) {
            return PatchPlan.skipped("statically linked");
        }
        String interpreter = null;
        if (b.interpreter() != null) {
            String fhs = Loaders.fhsPath(b.machine(), b.elf64(), b.bigEndian());
            if (fhs == null) {
                return PatchPlan.skipped("no standard loader path known for machine " + b.machine());
            }
            interpreter = fhs.equals(b.interpreter()) ? null : fhs;
        }
        List<String> kept = new ArrayList<>();
        for (String e : b.searchEntries()) {
            if (!e.startsWith(storeDir + "/")) {
                kept.add(e);
            }
        }
        String current = b.runPath() != null ? b.runPath() : b.rPath();
        String wanted = String.join(":", kept);
        String runPath = wanted.equals(current == null ? "" : current) ? null : wanted;
        List<NeedResolution> needs = new ArrayList<>();
        Set<String> dirs = new LinkedHashSet<>(Resolver.defaultDirectoriesFor(b));
        for (String e : kept) {
            dirs.add(Resolver.normalize(e.replace("${ORIGIN}", b.directory()).replace("$ORIGIN", b.directory())));
        }
        boolean unresolved = false;
        for (String need : b.needed()) {
            String found = null;
            for (String d : dirs) {
                if (root.library(d + "/" + need) != null) {
                    found = d + "/" + need;
                    break;
                }
            }
            needs.add(found != null
                    ? new NeedResolution(need, NeedResolution.Kind.KEPT, found, null, List.of(), false)
                    : new NeedResolution(need, NeedResolution.Kind.UNRESOLVED, null,
                            "not in the target's library directories", List.of(), false));
            unresolved |= found == null;
        }
        PatchPlan.Status status = unresolved ? PatchPlan.Status.UNRESOLVABLE
                : interpreter == null && runPath == null ? PatchPlan.Status.OK : PatchPlan.Status.NEEDS_FIX;
        return new PatchPlan(status, interpreter, runPath, needs, Set.of(), null, null);
    }
}
