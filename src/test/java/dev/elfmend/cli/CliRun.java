package dev.elfmend.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

/**
 * One in-process run of the elfmend command line ({@link Main#run}) with its exit status and what it
 * wrote, so tests see exactly what a user or a script would.
 */
public record CliRun(int exit, String out, String err) {

    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            exit = Main.run(args, o, e);
        }
        return new CliRun(exit, out.toString(), err.toString());
    }

    /** stdout as the JSON array {@code inspect --json} prints: one object per file. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> jsonReports() {
        Object parsed = JsonParser.parse(out);
        if (!(parsed instanceof List<?> list) || !list.stream().allMatch(o -> o instanceof Map)) {
            throw new AssertionError("expected a JSON array of objects, got: " + out);
        }
        return (List<Map<String, Object>>) parsed;
    }

    @Override
    public String toString() {
        return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
    }
}
