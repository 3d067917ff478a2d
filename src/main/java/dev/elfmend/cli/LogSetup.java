package dev.elfmend.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logging set up in code rather than from logback.xml: reading XML configuration loads logback's
 * configuration interpreter and the JDK's XML parser, several hundred classes a long-running daemon
 * would keep in its metaspace for nothing. One console appender on stderr (stdout stays
 * machine-readable), INFO by default, lines as {@link LogLine} writes them; {@code elfmend.log.time=false}
 * (set by Main under journald) leaves the time out. A user's own {@code -Dlogback.configurationFile}
 * still wins.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {

    /** System property: whether lines start with the time of day (default true). */
    static final String TIME_PROPERTY = "elfmend.log.time";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LogLine layout = new LogLine(!"false".equals(System.getProperty(TIME_PROPERTY)));
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
