package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Docker engine of the test's own: Debian's dockerd as root, without iptables or a bridge, with its
 * data, state and socket in a directory of its own, so the test can stop and start it while the shared
 * engine (DOCKER_HOST) never notices. The directory is short: unix socket paths end at 108 bytes.
 */
final class PrivateEngine implements AutoCloseable {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private final Path dir;
    private Process dockerd;

    private PrivateEngine(Path dir) {
        this.dir = dir;
    }

    /** Starts a new engine (skips, or fails under requireAll, without root or dockerd). */
    static PrivateEngine start() {
        Requirements.requireRoot();
        Requirements.requireTool("dockerd");
        Requirements.requireTool("docker");
        try {
            PrivateEngine engine = new PrivateEngine(Files.createTempDirectory(Path.of("/tmp"), "elfmend-dockerd-"));
            engine.startAgain();
            return engine;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a directory for a private dockerd", e);
        }
    }

    /** What DOCKER_HOST must say to reach this engine. */
    String host() {
        return "unix://" + dir.resolve("s");
    }

    /** Starts dockerd on the same data root as before and waits until it answers. */
    void startAgain() {
        if (dockerd != null && dockerd.isAlive()) {
            throw new IllegalStateException("dockerd is running already");
        }
        List<String> line = List.of("dockerd", "--iptables=false", "--bridge=none", "--data-root", dir.resolve("d").toString(),
                "--exec-root", dir.resolve("e").toString(), "-H", host(), "-p", dir.resolve("pid").toString());
        try {
            dockerd = new ProcessBuilder(line).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", line), e);
        }
        Awaits.until("the private dockerd to answer (log: " + log() + ")", PATIENCE,
                () -> !dockerd.isAlive() || docker(Duration.ofSeconds(10), "version").exit() == 0);
        if (!dockerd.isAlive()) {
            throw new AssertionError("dockerd exited with " + dockerd.exitValue() + ":\n" + logText());
        }
    }

    /** Stops dockerd the way systemd does (SIGTERM) and waits until it has exited. */
    void stop() {
        if (dockerd == null || !dockerd.isAlive()) {
            return;
        }
        dockerd.destroy();
        try {
            if (!dockerd.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                dockerd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("dockerd did not stop within " + PATIENCE.toSeconds() + " s of SIGTERM");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while dockerd stopped", e);
        }
    }

    /** The host pid of the engine, to tell a restarted engine from the old one. */
    long pid() {
        return dockerd.pid();
    }

    /** Runs the docker CLI against this engine; any exit status. */
    Processes.Result docker(Duration timeout, String... args) {
        List<String> line = new ArrayList<>(List.of("docker"));
        line.addAll(List.of(args));
        return Processes.command(line).env("DOCKER_HOST", host()).env("DOCKER_BUILDKIT", "0").timeout(timeout).run();
    }

    /** Runs the docker CLI against this engine; fails the test unless it exits 0. */
    Processes.Result dockerOk(String... args) {
        List<String> line = new ArrayList<>(List.of("docker"));
        line.addAll(List.of(args));
        return Processes.command(line).env("DOCKER_HOST", host()).env("DOCKER_BUILDKIT", "0")
                .timeout(Duration.ofMinutes(5)).runOk();
    }

    Path log() {
        return dir.resolve("dockerd.log");
    }

    String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log()) : "";
        } catch (IOException e) {
            return "(cannot read " + log() + ": " + e.getMessage() + ")";
        }
    }

    /** Removes the containers, stops the engine and deletes its directory. Safe to call twice. */
    @Override
    public void close() {
        if (dockerd != null && dockerd.isAlive()) {
            Processes.Result ids = docker(Duration.ofSeconds(30), "ps", "-aq");
            if (ids.exit() == 0 && !ids.out().isBlank()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(ids.out().trim().split("\\s+")));
                docker(Duration.ofMinutes(2), rm.toArray(String[]::new));
            }
            stop();
        }
        // Image layers are overlay directories dockerd has unmounted by now; plain files remain.
        Processes.command("rm", "-rf", dir.toString()).timeout(Duration.ofMinutes(2)).run();
    }
}
