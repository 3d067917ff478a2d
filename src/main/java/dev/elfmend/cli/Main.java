package dev.elfmend.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point: builds the command line, runs it, exits with its status. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int status = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line with the given streams; the exit status is returned, not acted on. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        if (System.getenv("JOURNAL_STREAM") != null) {
            // journald stamps every line itself.
            System.setProperty(LogSetup.TIME_PROPERTY, "false");
        }
        return commandLine(out, err).execute(args);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new ElfmendCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parseResult -> {
            Verbosity.apply(parseResult);
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl;
    }
}
