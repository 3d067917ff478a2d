package dev.elfmend.resolve;

import java.util.List;
import java.util.Set;

/**
 * What one binary needs: the interpreter and run path it should have (null: leave as is), how every
 * need is found, and the store paths the result depends on (for garbage-collector roots).
 */
public record PatchPlan(Status status, String interpreter, String runPath, List<NeedResolution> needs,
                        Set<String> storePaths, String glibc, String note) {

    /** Ordered from best to worst; check's exit status follows it. */
    public enum Status {
        /** Runs as it is. */
        OK,
        /** Runs after the planned changes. */
        NEEDS_FIX,
        /** Something stays unresolved even after the planned changes. */
        UNRESOLVABLE,
        /** Not elfmend's business: static, other machine with nothing in the store, inside the store. */
        SKIPPED
    }

    public PatchPlan {
        needs = List.copyOf(needs);
        storePaths = Set.copyOf(storePaths);
    }

    public List<NeedResolution> unresolved() {
        return needs.stream().filter(n -> !n.resolved() && !n.dlopen()).toList();
    }

    public boolean changes() {
        return interpreter != null || runPath != null;
    }

    public static PatchPlan skipped(String note) {
        return new PatchPlan(Status.SKIPPED, null, null, List.of(), Set.of(), null, note);
    }
}
