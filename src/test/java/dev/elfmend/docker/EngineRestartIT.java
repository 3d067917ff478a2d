package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.RegistryBinaries;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code elfmend docker} survives a restart of the Docker engine: a private dockerd of the test's own
 * is stopped with SIGTERM (as {@code systemctl restart docker} does) and started again on the same data
 * root; the agent, never restarted itself, reconnects and patches node dropped into the container the
 * engine brought back (a new main process, so a new {@code /proc/<pid>/root}) and into one started after.
 */
class EngineRestartIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String RESTARTED = "elfmend-it-restarted";
    private static final String LATER = "elfmend-it-started-later";

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    /** Per test, not per class, so that a missing engine shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        ElfmendImage.build(shared);
    }

    @Test
    void agentReconnectsAfterTheEngineRestartsAndPatchesTheContainersRunningThen() throws Exception {
        Path node = RegistryBinaries.nodeLinux("x64");
        try (PrivateEngine engine = PrivateEngine.start(); HostAgent agent = HostAgent.start(work, engine.host())) {
            engine.dockerOk("load", "-i", ElfmendImage.saved(work).toString());
            agent.awaitLog("connected to the Docker engine", PATIENCE);
            // --restart always: the engine itself brings it back when it starts again.
            startOptedIn(engine, RESTARTED, "--restart", "always");
            agent.awaitLog("container " + RESTARTED + " (", PATIENCE);
            dropNodeAndAwaitItRuns(engine, agent, RESTARTED, "before", node);
            long pidBefore = pid(engine, RESTARTED);
            long engineBefore = engine.pid();

            engine.stop();
            agent.awaitLog("the event stream of the Docker engine ended", PATIENCE);
            agent.awaitLog(") stopped; released", PATIENCE);
            engine.startAgain();
            Awaits.until(RESTARTED + " runs again", PATIENCE, () -> pid(engine, RESTARTED) > 0);
            startOptedIn(engine, LATER);

            agent.awaitLines("connected to the Docker engine", 2, PATIENCE);
            assertNotEquals(engineBefore, engine.pid(), "a new dockerd process");
            assertNotEquals(pidBefore, pid(engine, RESTARTED), "the container runs a new main process");
            dropNodeAndAwaitItRuns(engine, agent, RESTARTED, "after", node);
            dropNodeAndAwaitItRuns(engine, agent, LATER, "after", node);
            assertTrue(agent.isAlive(), "the agent kept running through the restart");
            String log = agent.log();
            System.out.println("agent log:\n" + log);
            assertEquals(2, agent.lines("connected to the Docker engine"), "one connection per engine:\n" + log);
            // An engine restart is routine: warnings that say so, not errors with stack traces.
            assertFalse(log.contains("ERROR") || log.contains("\tat "), log);
        }
    }

    private static void startOptedIn(PrivateEngine engine, String name, String... more) {
        // --init: sleep as PID 1 would ignore the engine's SIGTERM and hold its shutdown up for 10 s.
        List<String> run = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", "none", "--init",
                "--label", OptIn.ENABLE_LABEL + "=true", "--env", "ELFMEND_DISABLE=1"));
        run.addAll(List.of(more));
        run.addAll(List.of(ElfmendImage.BASE, "sleep", "100000"));
        engine.dockerOk(run.toArray(String[]::new));
    }

    /** Copies node in with {@code docker cp}, as a user or an editor would, and waits until it starts. */
    private static void dropNodeAndAwaitItRuns(PrivateEngine engine, HostAgent agent, String container, String commit,
            Path node) {
        String dir = "/root/.vscode-server/bin/" + commit;
        engine.dockerOk("exec", container, "mkdir", "-p", dir);
        engine.dockerOk("cp", node.toString(), container + ":" + dir + "/node");
        try {
            Awaits.until("node runs in " + container, PATIENCE,
                    () -> engine.docker(Duration.ofSeconds(30), "exec", container, dir + "/node", "--version").exit() == 0);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nagent log:\n" + agent.log(), e);
        }
        agent.awaitLog(container + ": patched " + dir + "/node", PATIENCE);
    }

    private static long pid(PrivateEngine engine, String container) {
        String out = engine.docker(Duration.ofSeconds(30), "inspect", "-f", "{{.State.Pid}}", container).out().trim();
        return out.matches("\\d+") ? Long.parseLong(out) : -1;
    }
}
