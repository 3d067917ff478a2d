package dev.elfmend.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.util.TimeZone;

/**
 * elfmend's log line: {@code HH:mm:ss.SSS LEVEL message}, the time left out under journald, which
 * stamps lines itself; a throwable follows on its own lines. Written out by hand: logback's pattern
 * layout would bring its pattern parser and a hundred converter classes, kept by the daemon for good.
 */
final class LogLine extends LayoutBase<ILoggingEvent> {

    private final boolean time;

    LogLine(boolean time) {
        this.time = time;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(128);
        if (time) {
            appendTime(line, event.getTimeStamp());
            line.append(' ');
        }
        String level = event.getLevel().toString();
        line.append(level);
        for (int i = level.length(); i < 5; i++) {
            line.append(' ');
        }
        line.append(' ').append(event.getFormattedMessage()).append('\n');
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown)).append('\n');
        }
        return line.toString();
    }

    /** Local wall-clock time of day, to the millisecond. */
    static void appendTime(StringBuilder out, long epochMillis) {
        long local = epochMillis + TimeZone.getDefault().getOffset(epochMillis);
        long ofDay = Math.floorMod(local, 86_400_000L);
        two(out, ofDay / 3_600_000).append(':');
        two(out, ofDay / 60_000 % 60).append(':');
        two(out, ofDay / 1000 % 60).append('.');
        long ms = ofDay % 1000;
        out.append(ms < 100 ? (ms < 10 ? "00" : "0") : "").append(ms);
    }

    private static StringBuilder two(StringBuilder out, long n) {
        return out.append(n < 10 ? "0" : "").append(n);
    }
}
