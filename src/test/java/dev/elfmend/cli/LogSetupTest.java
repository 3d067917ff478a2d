package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Logging is configured in code: one line per event on stderr, INFO and up, with the time unless Main leaves it out. */
class LogSetupTest {

    private static String logged(String time, String configurationFile) {
        return logged(time, configurationFile, null);
    }

    private static String logged(String time, String configurationFile, Throwable thrown) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String savedTime = System.getProperty(LogSetup.TIME_PROPERTY);
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            if (time != null) {
                System.setProperty(LogSetup.TIME_PROPERTY, time);
            }
            if (configurationFile != null) {
                System.setProperty("logback.configurationFile", configurationFile);
            }
            LoggerContext context = new LoggerContext();
            context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's own start-up does
            LogSetup setup = new LogSetup();
            setup.setContext(context);
            Configurator.ExecutionStatus status = setup.configure(context);
            if (thrown != null) {
                context.getLogger("elfmend").warn("cannot save the journal", thrown);
            } else {
                context.getLogger("elfmend").info("patched {}", "/home/u/.vscode-server/bin/node");
            }
            context.getLogger("elfmend").debug("not shown at the default level");
            context.stop();
            return status + "|" + captured.toString(StandardCharsets.UTF_8);
        } finally {
            System.setErr(saved);
            System.clearProperty("logback.configurationFile");
            if (savedTime == null) {
                System.clearProperty(LogSetup.TIME_PROPERTY);
            } else {
                System.setProperty(LogSetup.TIME_PROPERTY, savedTime);
            }
        }
    }

    @Test
    void linesCarryTimeAndLevelByDefault() {
        String out = logged(null, null);
        assertTrue(out.matches("DO_NOT_INVOKE_NEXT_IF_ANY\\|\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  patched "
                + "/home/u/\\.vscode-server/bin/node\\n"), out);
    }

    @Test
    void theTimeIsTheLocalTimeOfDayOfTheEvent() {
        long before = System.currentTimeMillis();
        String out = logged(null, null);
        long after = System.currentTimeMillis();
        String shown = out.substring(out.indexOf('|') + 1, out.indexOf(' '));
        java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
        java.time.ZoneId zone = java.time.ZoneId.systemDefault();
        String first = f.format(java.time.Instant.ofEpochMilli(before).atZone(zone));
        String last = f.format(java.time.Instant.ofEpochMilli(after).atZone(zone));
        assertTrue(shown.compareTo(first) >= 0 && shown.compareTo(last) <= 0 || first.compareTo(last) > 0,
                shown + " not within " + first + ".." + last);
    }

    @Test
    void timesOfDayAreZeroPaddedAndWrapAtMidnight() {
        java.util.TimeZone saved = java.util.TimeZone.getDefault();
        try {
            java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("UTC"));
            StringBuilder out = new StringBuilder();
            LogLine.appendTime(out, java.time.Instant.parse("2026-11-23T01:02:03.004Z").toEpochMilli());
            out.append('|');
            LogLine.appendTime(out, java.time.Instant.parse("2026-11-23T23:59:59.999Z").toEpochMilli());
            out.append('|');
            LogLine.appendTime(out, java.time.Instant.parse("1965-03-01T12:30:45.050Z").toEpochMilli());
            assertEquals("01:02:03.004|23:59:59.999|12:30:45.050", out.toString());
            java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Asia/Kolkata"));
            out.setLength(0);
            LogLine.appendTime(out, java.time.Instant.parse("2026-11-23T20:00:00.000Z").toEpochMilli());
            assertEquals("01:30:00.000", out.toString());
        } finally {
            java.util.TimeZone.setDefault(saved);
        }
    }

    @Test
    void underJournaldTheTimeIsLeftToJournald() {
        assertEquals("DO_NOT_INVOKE_NEXT_IF_ANY|INFO  patched /home/u/.vscode-server/bin/node\n",
                logged("false", null));
    }

    @Test
    void aThrowableFollowsItsLine() {
        String out = logged("false", null, new java.io.IOException("disk full"));
        assertTrue(out.startsWith("DO_NOT_INVOKE_NEXT_IF_ANY|WARN  cannot save the journal\njava.io.IOException: disk full\n"
                + "\tat "), out);
    }

    @Test
    void aUsersOwnConfigurationFileTakesOver() {
        assertEquals("INVOKE_NEXT_IF_ANY|", logged(null, "/etc/elfmend/logback.xml"));
    }
}
