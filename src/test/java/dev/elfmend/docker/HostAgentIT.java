package dev.elfmend.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Scenario 2: {@code elfmend docker} on the host (a subprocess, as a user runs it) patches binaries in
 * the container that opted in, through {@code /proc/<pid>/root} and against that container's store,
 * and leaves the other container alone byte for byte; {@code elfmend docker fix CONTAINER} then fixes
 * the other one on request. The containers run without elfmend's entrypoint watcher.
 */
class HostAgentIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String NODE = "/root/.vscode-server/bin/c0ffee/node";

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    private Process agent;

    /** Per test, not per class, so that a missing engine shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        ElfmendImage.build(shared);
    }

    @AfterEach
    void stopAgent() throws InterruptedException {
        if (agent != null && agent.isAlive()) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static GenericContainer<?> container(boolean optedIn) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(ElfmendImage.BASE))
                .withNetworkMode("none")
                .withEnv("ELFMEND_DISABLE", "1")
                .withCommand("sleep", "100000");
        return optedIn ? c.withLabel(OptIn.ENABLE_LABEL, "true") : c;
    }

    private Path startAgent() throws IOException {
        Path log = work.resolve("agent.log");
        List<String> line = new ArrayList<>(List.of(ElfmendImage.javaCommand(), "-jar", ElfmendImage.jar().toString(),
                "docker", "--cache-dir", work.resolve("cache").toString(), "--settle-ms", "50"));
        agent = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        return log;
    }

    @Test
    void optedInContainerIsPatchedTheOtherIsUntouchedUntilFixedByName() throws Exception {
        Path node = RegistryBinaries.nodeLinux("x64");
        String original = sha256(Files.readAllBytes(node));
        try (GenericContainer<?> bystander = container(false); GenericContainer<?> optedIn = container(true)) {
            bystander.start();
            Path log = startAgent();
            Awaits.until("the agent connects", PATIENCE, () -> read(log).contains("connected to the Docker engine"));
            optedIn.start(); // after the agent: picked up from the event stream

            Awaits.until("the agent watches the opted-in container", PATIENCE,
                    () -> read(log).contains("container " + optedIn.getContainerName().replaceFirst("^/", "")));
            for (GenericContainer<?> c : List.of(bystander, optedIn)) {
                c.copyFileToContainer(MountableFile.forHostPath(node, 0755), NODE);
            }

            try {
                Awaits.until("node runs in the opted-in container", PATIENCE,
                        () -> exec(optedIn, NODE, "--version").getExitCode() == 0);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nagent log:\n" + read(log), e);
            }
            // The file is in place a moment before the agent's log line about it is written.
            Awaits.until("the agent logs the patch", PATIENCE, () -> read(log).contains("patched " + NODE));
            assertTrue(exec(bystander, NODE, "--version").getExitCode() != 0, "node cannot run unpatched");
            assertEquals(original, exec(bystander, "sha256sum", NODE).getStdout().split(" ")[0],
                    "the container that did not opt in is untouched byte for byte");

            ElfmendImage.Outcome fix = ElfmendImage.elfmend(Duration.ofMinutes(2), "docker", "fix", "--strict",
                    "--cache-dir", work.resolve("cache").toString(), bystander.getContainerId()).assertOk();
            assertTrue(fix.result().out().contains("patched"), fix.result().out());
            assertEquals(0, exec(bystander, NODE, "--version").getExitCode(), "fixed by name: node runs");

            agent.destroy(); // SIGTERM: the agent releases its containers and exits
            assertTrue(agent.waitFor(20, TimeUnit.SECONDS), "the agent exits on SIGTERM");
            assertTrue(read(log).contains("released"), read(log));
        }
    }

    @Test
    void fixByNameOfAContainerThatDoesNotExistSaysSo() {
        ElfmendImage.Outcome fix = ElfmendImage.elfmend(Duration.ofMinutes(1), "docker", "fix", "elfmend-no-such-container");
        assertEquals(1, fix.result().exit(), fix.toString());
        assertTrue(fix.result().err().contains("no container elfmend-no-such-container"), fix.result().err());
    }

    private static ExecResult exec(GenericContainer<?> c, String... command) {
        try {
            return c.execInContainer(command);
        } catch (Exception e) {
            throw new AssertionError("docker exec " + String.join(" ", command), e);
        }
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
