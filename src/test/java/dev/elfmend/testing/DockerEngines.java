package dev.elfmend.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;

/**
 * The Docker engine the ITs run against: the one Testcontainers finds (DOCKER_HOST, see .ci/run).
 * Without one a test skips, or fails under {@code -Delfmend.requireAll=true}. The docker CLI does
 * what Testcontainers cannot without a registry: import a rootfs, build with {@code --network none}.
 */
public final class DockerEngines {

    private DockerEngines() {
    }

    /** Skips (or under requireAll fails) unless an engine answers and the docker CLI is installed. */
    public static void require() {
        boolean available;
        try {
            available = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            available = false;
        }
        Requirements.require(available, "Docker engine (DOCKER_HOST=" + System.getenv("DOCKER_HOST") + ")",
                "start one, e.g. dockerd --iptables=false --bridge=none -H unix:///tmp/docker.sock, and export "
                        + "DOCKER_HOST=unix:///tmp/docker.sock TESTCONTAINERS_RYUK_DISABLED=true (.ci/run does)");
        Requirements.requireTool("docker");
    }

    /** Runs {@code docker ARGS...} (legacy builder: BuildKit needs a plugin and a registry); any exit status. */
    public static Processes.Result docker(Duration timeout, String... args) {
        List<String> line = new ArrayList<>(List.of("docker"));
        line.addAll(List.of(args));
        return Processes.command(line).env("DOCKER_BUILDKIT", "0").timeout(timeout).run();
    }

    /** Runs {@code docker ARGS...}; fails the test unless it exits 0. */
    public static Processes.Result dockerOk(String... args) {
        List<String> line = new ArrayList<>(List.of("docker"));
        line.addAll(List.of(args));
        return Processes.command(line).env("DOCKER_BUILDKIT", "0").timeout(Duration.ofMinutes(5)).runOk();
    }
}
