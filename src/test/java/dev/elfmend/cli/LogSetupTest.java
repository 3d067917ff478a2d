package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Logging is configured in code: one line per event on stderr, INFO and up, the pattern Main chooses. */
class LogSetupTest {

    private static String logged(String pattern, String configurationFile) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String savedPattern = System.getProperty("elfmend.log.pattern");
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            if (pattern != null) {
                System.setProperty("elfmend.log.pattern", pattern);
            }
            if (configurationFile != null) {
                System.setProperty("logback.configurationFile", configurationFile);
            }
            LoggerContext context = new LoggerContext();
            context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's own start-up does
            LogSetup setup = new LogSetup();
            setup.setContext(context);
            Configurator.ExecutionStatus status = setup.configure(context);
            context.getLogger("elfmend").info("patched {}", "/home/u/.vscode-server/bin/node");
            context.getLogger("elfmend").debug("not shown at the default level");
            context.stop();
            return status + "|" + captured.toString(StandardCharsets.UTF_8);
        } finally {
            System.setErr(saved);
            System.clearProperty("logback.configurationFile");
            if (savedPattern == null) {
                System.clearProperty("elfmend.log.pattern");
            } else {
                System.setProperty("elfmend.log.pattern", savedPattern);
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
    void underJournaldThePatternLeavesTheTimestampToJournald() {
        assertEquals("DO_NOT_INVOKE_NEXT_IF_ANY|INFO  patched /home/u/.vscode-server/bin/node\n",
                logged("%-5level %msg%n", null));
    }

    @Test
    void aUsersOwnConfigurationFileTakesOver() {
        assertEquals("INVOKE_NEXT_IF_ANY|", logged(null, "/etc/elfmend/logback.xml"));
    }
}
