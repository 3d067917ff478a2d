package dev.elfmend.cli;

import dev.elfmend.fixup.FileNames;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.resolve.NeedResolution;
import dev.elfmend.resolve.PatchPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** How fix and check results read, as text and as JSON. */
final class FixReport {

    private FixReport() {}

    /** One line per file (names escaped, so a newline in a name cannot split it), and its warnings. */
    static void printLine(PrintWriter out, Fixer.FileResult r, boolean dryRun) {
        String file = FileNames.shown(r.file());
        switch (r.outcome()) {
            case PATCHED, WOULD_PATCH -> out.println((r.outcome() == Fixer.Outcome.PATCHED ? "patched " : "would patch ")
                    + file + ": " + String.join("; ", r.changes()));
            case UNRESOLVED -> {
                out.println((r.changes().isEmpty() ? "unresolved " : (dryRun ? "would patch " : "patched ")
                        + "(incomplete) ") + file + (r.changes().isEmpty() ? "" : ": " + String.join("; ", r.changes())));
                for (NeedResolution n : r.plan().unresolved()) {
                    out.println("    " + n.name() + " => not found (" + n.reason() + ")");
                }
            }
            case FAILED -> out.println("failed " + file + ": " + FileNames.oneLine(r.error()));
            case SKIPPED -> {
                // Left alone on purpose (a privileged file, say): the user has a choice to make, so say it.
                if (!r.warnings().isEmpty()) {
                    out.println("skipped " + file + ": " + FileNames.oneLine(r.warnings().getFirst()));
                }
                return;
            }
            default -> { }
        }
        for (String warning : r.warnings()) {
            out.println("    warning: " + FileNames.oneLine(warning));
        }
    }

    static Map<Fixer.Outcome, Integer> count(List<Fixer.FileResult> results) {
        Map<Fixer.Outcome, Integer> counts = new EnumMap<>(Fixer.Outcome.class);
        results.forEach(r -> counts.merge(r.outcome(), 1, Integer::sum));
        return counts;
    }

    static String summary(int total, Map<Fixer.Outcome, Integer> counts, boolean dryRun) {
        StringJoiner j = new StringJoiner(", ");
        counts.forEach((k, v) -> j.add(v + " " + word(k)));
        return (dryRun ? "dry run: " : "") + total + " ELF files" + (total == 0 ? "" : ": " + j);
    }

    private static String word(Fixer.Outcome o) {
        return switch (o) {
            case PATCHED -> "patched";
            case WOULD_PATCH -> "would be patched";
            case OK -> "already fine";
            case UNRESOLVED -> "with unresolved libraries";
            case SKIPPED -> "skipped";
            case FAILED -> "failed";
        };
    }

    static Map<String, Object> toJson(Fixer.FileResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        String exact = FileNames.text(r.file());
        m.put("path", exact != null ? exact : FileNames.shown(r.file()));
        if (exact == null) {
            m.put("pathEscaped", true); // not UTF-8: JSON cannot carry it, so path holds the escaped form
        }
        m.put("pathInRoot", r.pathInRoot());
        m.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
        m.put("changes", r.changes());
        if (r.error() != null) {
            m.put("error", r.error());
        }
        if (!r.warnings().isEmpty()) {
            m.put("warnings", r.warnings());
        }
        PatchPlan p = r.plan();
        if (p != null) {
            m.put("status", p.status().name().toLowerCase(java.util.Locale.ROOT));
            if (p.note() != null) {
                m.put("note", p.note());
            }
            m.put("interpreter", p.interpreter());
            m.put("runpath", p.runPath());
            m.put("glibc", p.glibc());
            List<Object> needs = new ArrayList<>();
            for (NeedResolution n : p.needs()) {
                Map<String, Object> nm = new LinkedHashMap<>();
                nm.put("name", n.name());
                nm.put("kind", n.kind().name().toLowerCase(java.util.Locale.ROOT));
                nm.put("path", n.path());
                nm.put("reason", n.reason());
                nm.put("dlopen", n.dlopen());
                nm.put("rejected", n.rejected());
                needs.add(nm);
            }
            m.put("needs", needs);
            m.put("storePaths", List.copyOf(new java.util.TreeSet<>(p.storePaths())));
        }
        return m;
    }
}
