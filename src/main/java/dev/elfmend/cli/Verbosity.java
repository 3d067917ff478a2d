package dev.elfmend.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Reads -v/-vv anywhere on the command line and sets the log level before the command runs. */
final class Verbosity {

    private Verbosity() {}

    static int level(CommandLine.ParseResult parseResult) {
        int level = 0;
        for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("-v")) {
                boolean[] flags = r.matchedOptionValue("-v", new boolean[0]);
                level = Math.max(level, flags.length);
            }
        }
        return level;
    }

    static void apply(CommandLine.ParseResult parseResult) {
        int verbosity = level(parseResult);
        if (verbosity == 0) {
            return; // LogSetup's default (INFO); not touching logging keeps short commands' start-up fast
        }
        Level level = switch (verbosity) {
            case 0 -> Level.INFO;
            case 1 -> Level.DEBUG;
            default -> Level.TRACE;
        };
        if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(level);
        }
    }
}
