package dev.elfmend.cli;

import dev.elfmend.fixup.FileNames;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.fixup.FsRootLookup;
import dev.elfmend.fixup.IndexStore;
import dev.elfmend.resolve.FhsRetarget;
import dev.elfmend.resolve.NeedResolution;
import dev.elfmend.resolve.PatchPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code elfmend check}: like ldd, without executing anything. Exit status 0 when everything runs,
 * 3 when something needs fixing and fix would fix it, 4 when something stays unresolved.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Show how each ELF file's needs resolve against the store, without running anything. "
                + "Exit status: 0 all fine, 3 needs fixing, 4 unresolvable, 1 error.")
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    FixCommand.PolicyOptions policy;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--target-glibc", paramLabel = "VERSION",
            description = "Instead: list every symbol that needs a glibc version newer than VERSION (e.g. 2.28).")
    String targetGlibc;

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or directory trees.")
    List<Path> paths;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (targetGlibc != null) {
            return GlibcReport.run(paths, targetGlibc, json, out, spec.commandLine().getErr());
        }
        IndexStore.Loaded index = store.loadIndex(false);
        Fixer fixer = new Fixer(store.root(), store.storeDir, store.resolver(index),
                new FhsRetarget(new FsRootLookup(store.root()), store.storeDir), Fixer.Target.NIX, true, null,
                policy.policy());
        PrintWriter err = spec.commandLine().getErr();
        List<Fixer.FileResult> results = fixer.run(paths, new Fixer.Listener() {
            @Override
            public void warning(String message) {
                err.println("elfmend: warning: " + message);
            }
        });
        int status = ExitCodes.OK;
        List<Object> rows = new ArrayList<>();
        for (Fixer.FileResult r : results) {
            if (json) {
                rows.add(FixReport.toJson(r));
            } else {
                print(out, r);
            }
            status = Math.max(status, switch (r.outcome()) {
                case WOULD_PATCH -> ExitCodes.NEEDS_FIX;
                case UNRESOLVED -> ExitCodes.UNRESOLVED;
                default -> ExitCodes.OK;
            });
            if (r.outcome() == Fixer.Outcome.FAILED && status == ExitCodes.OK) {
                status = ExitCodes.FAILURE;
            }
        }
        if (json) {
            out.println(Json.write(rows));
        } else {
            Map<Fixer.Outcome, Integer> counts = FixReport.count(results);
            out.println(results.size() + " ELF files: " + counts.getOrDefault(Fixer.Outcome.OK, 0) + " fine, "
                    + counts.getOrDefault(Fixer.Outcome.WOULD_PATCH, 0) + " need fixing, "
                    + counts.getOrDefault(Fixer.Outcome.UNRESOLVED, 0) + " unresolvable, "
                    + counts.getOrDefault(Fixer.Outcome.SKIPPED, 0) + " skipped, "
                    + counts.getOrDefault(Fixer.Outcome.FAILED, 0) + " unreadable");
        }
        out.flush();
        return status;
    }

    private static void print(PrintWriter out, Fixer.FileResult r) {
        String status = switch (r.outcome()) {
            case OK -> "ok";
            case WOULD_PATCH -> "needs fixing";
            case UNRESOLVED -> "unresolvable";
            case SKIPPED -> "skipped (" + r.plan().note() + ")";
            case FAILED -> "unreadable (" + FileNames.oneLine(r.error()) + ")";
            case PATCHED -> "patched";
        };
        PatchPlan p = r.plan();
        out.println(FileNames.shown(r.file()) + ": " + status + (p != null && p.note() != null && r.outcome() != Fixer.Outcome.SKIPPED
                ? " (" + p.note() + ")" : ""));
        if (p == null || r.outcome() == Fixer.Outcome.SKIPPED) {
            return;
        }
        for (String change : r.changes()) {
            out.println("    would set " + change);
        }
        for (NeedResolution n : p.needs()) {
            String tag = n.dlopen() ? " (dlopen)" : "";
            if (n.resolved()) {
                out.println("    " + n.name() + tag + " => " + n.path());
            } else {
                out.println("    " + n.name() + tag + " => not found (" + n.reason() + ")");
                for (String rej : n.rejected()) {
                    out.println("        rejected " + rej);
                }
            }
        }
    }
}
