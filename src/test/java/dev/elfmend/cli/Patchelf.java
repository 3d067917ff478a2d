package dev.elfmend.cli;

import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs the two implementations side by side: Debian's {@code patchelf} process and {@code elfmend patchelf} in this JVM. */
final class Patchelf {

    private Patchelf() {
    }

    /** Debian's patchelf with {@code args}; any exit status is returned. */
    static Processes.Result debian(List<String> args) {
        Requirements.requireTool("patchelf");
        List<String> command = new ArrayList<>();
        command.add("patchelf");
        command.addAll(args);
        return Processes.command(command).run();
    }

    /** {@code elfmend patchelf} with {@code args}, in-process through the real command line. */
    static Processes.Result elfmend(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> command = new ArrayList<>();
        command.add("patchelf");
        command.addAll(args);
        int exit;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            exit = Main.run(command.toArray(String[]::new), o, e);
        }
        return new Processes.Result(exit, out.toString(), err.toString());
    }

    static Processes.Result debian(String... args) {
        return debian(List.of(args));
    }

    static Processes.Result elfmend(String... args) {
        return elfmend(List.of(args));
    }

    /** {@code args} followed by one more. */
    static List<String> with(List<String> args, String last) {
        List<String> all = new ArrayList<>(args);
        all.add(last);
        return all;
    }
}
