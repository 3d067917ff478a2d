package dev.elfmend.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A long-running process (the elfmend daemon) whose output lines are collected as they come, so a test
 * can wait for a log line with a bounded poll and show the log when something fails. Closing kills it.
 */
public final class LoggedProcess implements AutoCloseable {

    private final Process process;
    private final String name;
    private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    private final Thread reader;

    private LoggedProcess(Process process, String name) {
        this.process = process;
        this.name = name;
        this.reader = Thread.ofVirtual().start(this::collect);
    }

    /** Starts {@code command} with stderr merged into stdout. */
    public static LoggedProcess start(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            return new LoggedProcess(p, String.join(" ", command));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    /** Output lines so far. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** How many lines so far match {@code test}. */
    public long count(Predicate<String> test) {
        return lines.stream().filter(test).count();
    }

    /** Waits until a line matches, failing the test (with the log) if the process dies or {@code timeout} passes. */
    public String awaitLine(Predicate<String> test, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : lines) {
                if (test.test(line)) {
                    return line;
                }
            }
            if (!process.isAlive()) {
                reader.join(Duration.ofSeconds(5));
                throw new AssertionError("process exited with " + process.exitValue() + " before the awaited line: "
                        + name + "\n" + log());
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("no awaited line after " + timeout.toSeconds() + " s from " + name + "\n" + log());
            }
            Thread.sleep(10);
        }
    }

    /** SIGKILL, and wait until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("process survived SIGKILL for 30 s: " + name);
        }
    }

    /** SIGTERM; returns the exit status, failing if the process does not stop within {@code timeout}. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not stop within " + timeout.toSeconds() + " s of SIGTERM: " + name);
        }
        return process.exitValue();
    }

    /** How the process ended and its last lines, for failure messages (waits briefly for the last output). */
    public String exitReport() throws InterruptedException {
        if (process.isAlive()) {
            return "still running; last output:\n" + log();
        }
        reader.join(Duration.ofSeconds(5));
        return "exit status " + process.exitValue() + "; last output:\n" + log();
    }

    /** The last lines of output, for failure messages. */
    public String log() {
        List<String> all = lines();
        return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private void collect() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            // the process was killed: what was read is kept
        }
    }
}
