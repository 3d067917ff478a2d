package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import dev.elfmend.testing.DockerEngines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Scenario 1: elfmend's image with its entrypoint (watcher in the background, the command as the main
 * process): node copied into {@code ~/.vscode-server/bin/<commit>/} while the container runs starts
 * with {@code docker exec}; the container ends with its command's status and stops promptly.
 */
class EntrypointIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    static Path shared;

    /** Per test, not per class, so that a missing engine shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        ElfmendImage.build(shared);
    }

    private static GenericContainer<?> container() {
        return new GenericContainer<>(DockerImageName.parse(ElfmendImage.BASE))
                .withNetworkMode("none")
                .withEnv("ELFMEND_WATCH_ARGS", "--settle-ms 50")
                .withCommand("sleep", "100000");
    }

    @Test
    void nodeDroppedIntoVscodeServerWhileTheContainerRunsStartsWithDockerExec() throws Exception {
        try (GenericContainer<?> c = container()) {
            c.start();
            Awaits.until("the watcher runs", PATIENCE, () -> c.getLogs().contains("watching"));
            String node = "/root/.vscode-server/bin/" + NixRoot.COMMIT + "/node";

            c.copyFileToContainer(MountableFile.forHostPath(RegistryBinaries.nodeLinux("x64"), 0755), node);

            Awaits.until("node runs in the container", PATIENCE, () -> exec(c, node, "--version").getExitCode() == 0);
            ExecResult version = exec(c, node, "-e", "console.log(process.version)");
            assertTrue(version.getStdout().startsWith("v22."), version.getStdout() + version.getStderr());
            assertTrue(c.getLogs().contains("patched " + node), c.getLogs());
        }
    }

    @Test
    void containerEndsWithTheCommandsStatusAndStopsPromptlyOnSigterm() {
        Processes.Result exited = DockerEngines.docker(Duration.ofMinutes(2), "run", "--rm", "--network", "none",
                ElfmendImage.BASE, "sh", "-c", "exit 7");
        assertEquals(7, exited.exit(), exited.err());

        try (GenericContainer<?> c = container()) {
            c.start();
            Awaits.until("the watcher runs", PATIENCE, () -> c.getLogs().contains("watching"));
            long start = System.nanoTime();
            Processes.Result stop = DockerEngines.docker(Duration.ofMinutes(1), "stop", "-t", "30", c.getContainerId());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, stop.exit(), stop.err());
            assertTrue(millis < 15_000, "docker stop took " + millis + " ms (the TERM was not forwarded?)");
            String status = DockerEngines.dockerOk("inspect", "-f", "{{.State.ExitCode}}", c.getContainerId()).out().trim();
            assertEquals("143", status, "sleep ended by the forwarded SIGTERM");
        }
    }

    private static ExecResult exec(GenericContainer<?> c, String... command) {
        try {
            return c.execInContainer(command);
        } catch (Exception e) {
            throw new AssertionError("docker exec " + String.join(" ", command), e);
        }
    }
}
