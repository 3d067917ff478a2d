package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.RegistryBinaries;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Scenario 2: {@code elfmend docker} on the host (a subprocess, as a user runs it) patches binaries in
 * the container that opted in, through {@code /proc/<pid>/root} and against that container's store.
 * Containers that did not opt in (no label, or {@code dev.elfmend.enable=false}) keep every file
 * byte-identical, mode and mtime included, while the agent runs and when {@code elfmend docker fix}
 * is asked for them, which it refuses; {@code --force} fixes one on explicit request. The containers
 * run without elfmend's entrypoint watcher.
 */
class HostAgentIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String NODE = "/root/.vscode-server/bin/c0ffee/node";

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    /** Per test, not per class, so that a missing engine shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        ElfmendImage.build(shared);
    }

    /** A container with {@code dev.elfmend.enable} set to {@code enable}, or without the label when null. */
    private static GenericContainer<?> container(String enable) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(ElfmendImage.BASE))
                .withNetworkMode("none")
                .withEnv("ELFMEND_DISABLE", "1")
                .withCommand("sleep", "100000");
        return enable == null ? c : c.withLabel(OptIn.ENABLE_LABEL, enable);
    }

    @Test
    void optedInContainerIsPatchedAndTheOthersStayByteIdenticalAndAreRefusedByFix() throws Exception {
        Path node = RegistryBinaries.nodeLinux("x64");
        String original = RootSnapshot.sha256(node);
        try (GenericContainer<?> unlabelled = container(null); GenericContainer<?> optedOut = container("false");
                GenericContainer<?> optedIn = container("true")) {
            unlabelled.start(); // before the agent: seen in its first listing
            try (HostAgent agent = HostAgent.start(work, null)) {
                agent.awaitLog("connected to the Docker engine", PATIENCE);
                optedOut.start(); // after the agent: seen through the event stream
                optedIn.start();
                agent.awaitLog("container " + name(optedIn) + " (", PATIENCE);
                List<GenericContainer<?>> bystanders = List.of(unlabelled, optedOut);
                for (GenericContainer<?> c : List.of(unlabelled, optedOut, optedIn)) {
                    c.copyFileToContainer(MountableFile.forHostPath(node, 0755), NODE);
                }
                Map<String, RootSnapshot> dropped = new HashMap<>();
                for (GenericContainer<?> c : bystanders) {
                    RootSnapshot snapshot = RootSnapshot.of(pid(c));
                    assertEquals(original, snapshot.sha256Of(NODE), "node as copied in");
                    dropped.put(c.getContainerId(), snapshot);
                }

                try {
                    Awaits.until("node runs in the opted-in container", PATIENCE,
                            () -> exec(optedIn, NODE, "--version").getExitCode() == 0);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nagent log:\n" + agent.log(), e);
                }
                // The file is in place a moment before the agent's log line about it is written.
                agent.awaitLog("patched " + NODE, PATIENCE);
                for (GenericContainer<?> c : bystanders) {
                    assertUnchanged(dropped.get(c.getContainerId()), c, "while the agent runs");
                    assertTrue(exec(c, NODE, "--version").getExitCode() != 0, "node cannot run unpatched");
                }

                for (GenericContainer<?> c : bystanders) {
                    ElfmendImage.Outcome refused = ElfmendImage.elfmend(Duration.ofMinutes(2), "docker", "fix",
                            "--cache-dir", work.resolve("cache").toString(), c.getContainerId());
                    assertEquals(1, refused.result().exit(), refused.toString());
                    String err = refused.result().err();
                    assertTrue(err.contains(c.getContainerId().substring(0, 12)) && err.contains("--force")
                            && err.contains(c == optedOut ? OptIn.ENABLE_LABEL + "=false" : "did not opt in"), err);
                    assertUnchanged(dropped.get(c.getContainerId()), c, "after docker fix refused it");
                }

                ElfmendImage.Outcome forced = ElfmendImage.elfmend(Duration.ofMinutes(2), "docker", "fix", "--force",
                        "--strict", "--cache-dir", work.resolve("cache").toString(), unlabelled.getContainerId()).assertOk();
                assertTrue(forced.result().out().contains("patched"), forced.result().out());
                assertEquals(0, exec(unlabelled, NODE, "--version").getExitCode(), "fixed on request: node runs");

                assertTrue(agent.stop(Duration.ofSeconds(20)), "the agent exits on SIGTERM");
                assertTrue(agent.log().contains("released"), agent.log());
            }
        }
    }

    @Test
    void homeCreatedAfterTheAgentAttachedIsWatchedToo() throws Exception {
        String late = "/home/late/.vscode-server/bin/c0ffee/node";
        try (GenericContainer<?> c = container("true")) {
            c.start();
            try (HostAgent agent = HostAgent.start(work, null)) {
                agent.awaitLog("container " + name(c) + " (", PATIENCE);
                assertFalse(agent.log().contains("/home/late/"), agent.log());

                // A user added after the container started (a setup script), then the editor connects.
                assertEquals(0, exec(c, "mkdir", "-p", "/home/late").getExitCode());
                c.copyFileToContainer(MountableFile.forHostPath(RegistryBinaries.nodeLinux("x64"), 0755), late);

                try {
                    Awaits.until("node runs in the new home", PATIENCE, () -> exec(c, late, "--version").getExitCode() == 0);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nagent log:\n" + agent.log(), e);
                }
                agent.awaitLog("patched " + late, PATIENCE);
                assertTrue(agent.log().contains("now also watching [/home/late/.vscode-server"), agent.log());
            }
        }
    }

    @Test
    void fixByNameOfAContainerThatDoesNotExistSaysSo() {
        ElfmendImage.Outcome fix = ElfmendImage.elfmend(Duration.ofMinutes(1), "docker", "fix", "elfmend-no-such-container");
        assertEquals(1, fix.result().exit(), fix.toString());
        assertTrue(fix.result().err().contains("no container elfmend-no-such-container"), fix.result().err());
    }

    private static void assertUnchanged(RootSnapshot before, GenericContainer<?> c, String when) {
        List<String> changed = before.differences(RootSnapshot.of(pid(c)));
        assertEquals(List.of(), changed, "container " + name(c) + " changed " + when);
    }

    private static long pid(GenericContainer<?> c) {
        return c.getContainerInfo().getState().getPidLong();
    }

    private static String name(GenericContainer<?> c) {
        return c.getContainerName().replaceFirst("^/", "");
    }

    private static ExecResult exec(GenericContainer<?> c, String... command) {
        try {
            return c.execInContainer(command);
        } catch (Exception e) {
            throw new AssertionError("docker exec " + String.join(" ", command), e);
        }
    }
}
