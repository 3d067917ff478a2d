package dev.elfmend.cli;

import picocli.CommandLine;

/**
 * Turns an exception that escaped a command into one line on stderr ("elfmend: what went wrong");
 * the stack trace is shown only with -v.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        cmd.getErr().println("elfmend: " + message);
        if (Verbosity.level(parseResult) > 0) {
            ex.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return ExitCodes.FAILURE;
    }
}
