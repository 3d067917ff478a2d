package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code elfmend docker} on the host as a user runs it: a JVM of its own ({@code java -jar}) with its
 * output in a log file the test reads. Stopped with SIGTERM, killed if it does not exit.
 */
final class HostAgent implements AutoCloseable {

    private final Process process;
    private final Path log;

    private HostAgent(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the agent against the engine at {@code dockerHost} (null: the test JVM's DOCKER_HOST). */
    static HostAgent start(Path work, String dockerHost) {
        Path log = work.resolve("agent.log");
        List<String> line = new ArrayList<>(List.of(ElfmendImage.javaCommand(), "-jar", ElfmendImage.jar().toString(),
                "docker", "--cache-dir", work.resolve("cache").toString(), "--settle-ms", "50"));
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (dockerHost != null) {
            builder.environment().put("DOCKER_HOST", dockerHost);
        }
        try {
            return new HostAgent(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", line), e);
        }
    }

    /** What the agent logged so far. */
    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** How many log lines contain {@code text}. */
    long lines(String text) {
        return log().lines().filter(l -> l.contains(text)).count();
    }

    /** Waits until the log contains {@code text}; the failure shows the log. */
    void awaitLog(String text, Duration patience) {
        awaitLines(text, 1, patience);
    }

    /** Waits until {@code count} log lines contain {@code text}; the failure shows the log. */
    void awaitLines(String text, long count, Duration patience) {
        try {
            Awaits.until(count + " agent log line(s) with \"" + text + "\"", patience, () -> lines(text) >= count);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nagent log:\n" + log(), e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** Sends SIGTERM and waits for the exit; true when it exited in time. */
    boolean stop(Duration patience) throws InterruptedException {
        process.destroy();
        return process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
