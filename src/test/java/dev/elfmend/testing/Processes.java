package dev.elfmend.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;

/**
 * Runs external commands (gcc, readelf, the binaries under test) so that a test can never hang on one:
 * every run has a timeout, after which the process tree is killed and the test fails naming the command.
 */
public final class Processes {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Processes() {
    }

    /** What a finished process said and how it ended. */
    public record Result(int exit, String out, String err) {
    }

    /** A command to run; set a timeout, environment or working directory, then {@link #run()} or {@link #runOk()}. */
    public static Command command(String... command) {
        return new Command(List.of(command));
    }

    public static Command command(List<String> command) {
        return new Command(command);
    }

    /** Runs with the default timeout; any exit code is returned. */
    public static Result run(String... command) {
        return command(command).run();
    }

    /** Runs with the default timeout and fails the test unless the exit code is 0. */
    public static Result runOk(String... command) {
        return command(command).runOk();
    }

    /** A command line with its timeout, extra environment variables and working directory. */
    public static final class Command {
        private final List<String> command;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private Path directory;

        private Command(List<String> command) {
            this.command = List.copyOf(command);
        }

        public Command timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /** Adds (or overrides) one variable on top of the test JVM's environment. */
        public Command env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public Command directory(Path value) {
            this.directory = value;
            return this;
        }

        /** Fails the test unless the process exits 0; the message carries the command line and stderr. */
        public Result runOk() {
            Result result = run();
            if (result.exit() != 0) {
                Assertions.fail("exit " + result.exit() + " from " + commandLine() + "\nstderr: " + result.err()
                        + "\nstdout: " + result.out());
            }
            return result;
        }

        public Result run() {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(environment);
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start " + commandLine(), e);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            List<Thread> readers = new ArrayList<>();
            readers.add(Thread.ofVirtual().start(() -> drain(process.getInputStream(), out)));
            readers.add(Thread.ofVirtual().start(() -> drain(process.getErrorStream(), err)));
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill(process);
                    join(readers);
                    Assertions.fail("timed out after " + timeout.toSeconds() + "s, killed: " + commandLine()
                            + "\nstderr so far: " + text(err) + "\nstdout so far: " + text(out));
                }
                join(readers);
            } catch (InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                Assertions.fail("interrupted while running " + commandLine(), e);
            }
            return new Result(process.exitValue(), text(out), text(err));
        }

        /** The command as a shell would show it, for messages. */
        public String commandLine() {
            String env = environment.entrySet().stream()
                    .map(e -> e.getKey() + "=" + quote(e.getValue()) + " ")
                    .collect(Collectors.joining());
            return env + command.stream().map(Processes::quote).collect(Collectors.joining(" "));
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        try (in) {
            in.transferTo(sink);
        } catch (IOException e) {
            // The process was killed or closed its end; what was read so far is kept.
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(List<Thread> readers) throws InterruptedException {
        for (Thread reader : readers) {
            // A grandchild that escaped the kill may still hold the pipe; don't wait for it forever.
            reader.join(Duration.ofSeconds(10));
        }
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String quote(String arg) {
        return arg.isEmpty() || arg.matches(".*[\\s'\"$\\\\*?;&|<>()].*")
                ? "'" + arg.replace("'", "'\\''") + "'"
                : arg;
    }
}
