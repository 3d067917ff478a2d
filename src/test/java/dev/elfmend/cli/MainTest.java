package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command: version, help, usage errors, verbosity and what an unexpected failure looks like. */
class MainTest {

    @Test
    void versionIsPrintedWithExitZero() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().startsWith("elfmend "), run.out());
        assertEquals(1, run.out().lines().count(), run.out());
    }

    @Test
    void helpListsTheCommandsWithExitZero() {
        CliRun run = CliRun.of("--help");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("Usage: elfmend"), run.out());
        for (String command : new String[] {"inspect", "patchelf", "check", "fix", "undo", "index"}) {
            assertTrue(run.out().contains("  " + command + " "), command + " in " + run.out());
        }
        assertTrue(run.out().contains("--verbose"), run.out());
    }

    @Test
    void inspectHelpDescribesItsOptions() {
        CliRun run = CliRun.of("inspect", "--help");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("--json") && run.out().contains("--root") && run.out().contains("FILE"), run.out());
    }

    @Test
    void noCommandIsAUsageError() {
        CliRun run = CliRun.of();
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("missing command"), run.err());
    }

    @Test
    void unknownCommandOrOptionIsAUsageError() {
        CliRun command = CliRun.of("frobnicate");
        assertEquals(2, command.exit(), command.toString());
        assertTrue(command.err().contains("frobnicate"), command.err());
        CliRun option = CliRun.of("--frobnicate");
        assertEquals(2, option.exit(), option.toString());
        assertTrue(option.err().contains("--frobnicate"), option.err());
    }

    @Test
    void verbosityCountsVsAnywhereOnTheLine() {
        assertEquals(0, Verbosity.level(parse("inspect", "x")));
        assertEquals(1, Verbosity.level(parse("-v", "inspect", "x")));
        assertEquals(2, Verbosity.level(parse("-vv", "inspect", "x")));
        assertEquals(1, Verbosity.level(parse("inspect", "-v", "x")));
    }

    @Test
    void verbositySetsTheLogLevelAndLeavesTheConfiguredOneWithoutV() {
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        try {
            root.setLevel(Level.INFO);
            Verbosity.apply(parse("inspect", "x"));
            assertEquals(Level.INFO, root.getLevel());
            Verbosity.apply(parse("-v", "inspect", "x"));
            assertEquals(Level.DEBUG, root.getLevel());
            Verbosity.apply(parse("-vv", "inspect", "x"));
            assertEquals(Level.TRACE, root.getLevel());
        } finally {
            root.setLevel(before);
        }
    }

    @Test
    void anUnexpectedFailureIsOneLineWithExitOne() {
        StringWriter err = new StringWriter();
        int exit = withFailingCommand(err).execute("explode");
        assertEquals(1, exit);
        assertEquals("elfmend: the index is locked by another process\n", err.toString().replace("\r\n", "\n"));
    }

    @Test
    void anUnexpectedFailureShowsItsStackTraceWithVerbose() {
        StringWriter err = new StringWriter();
        int exit = withFailingCommand(err).execute("-v", "explode");
        assertEquals(1, exit);
        String text = err.toString();
        assertTrue(text.startsWith("elfmend: the index is locked by another process"), text);
        assertTrue(text.contains("IllegalStateException") && text.contains("\tat "), text);
    }

    @Test
    void aFailureWithoutMessageIsNamedByItsType() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        cl.addSubcommand("explode", new Silent());
        cl.setErr(new PrintWriter(err, true)); // streams reach only the subcommands present when they are set
        assertEquals(1, cl.execute("explode"));
        assertEquals("elfmend: UnsupportedOperationException", err.toString().trim());
        assertFalse(err.toString().contains("\tat "));
    }

    private static CommandLine.ParseResult parse(String... args) {
        return Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())).parseArgs(args);
    }

    private static CommandLine withFailingCommand(StringWriter err) {
        CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        cl.addSubcommand("explode", new Exploding());
        cl.setErr(new PrintWriter(err, true)); // streams reach only the subcommands present when they are set
        return cl;
    }

    @Command(name = "explode")
    static final class Exploding implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("the index is locked by another process");
        }
    }

    @Command(name = "explode")
    static final class Silent implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new UnsupportedOperationException();
        }
    }
}
