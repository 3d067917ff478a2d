package dev.elfmend.config;

import dev.elfmend.testing.Awaits;
import dev.elfmend.testing.DockerEngines;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A container whose PID 1 is systemd, for starting elfmend's units for real, driven with the docker CLI
 * ({@code docker exec ... systemctl}). Closing it removes the container.
 */
final class SystemdContainer implements AutoCloseable {

    static final Duration PATIENCE = Duration.ofSeconds(90);

    private final String id;

    private SystemdContainer(String id) {
        this.id = id;
    }

    /**
     * Runs {@code image} with systemd as PID 1 and waits until it has booted (running, or degraded when a
     * unit of the image's own failed). Not {@code --privileged}: that asks runc for every capability, and
     * on these machines the engine's bounding set lacks CAP_SYS_RESOURCE ("unable to apply caps").
     * systemd needs CAP_SYS_ADMIN for its mounts and the units' sandboxes, the host's cgroup tree
     * (cgroup v1 with a named systemd hierarchy here) writable, and tmpfs on /run. CAP_SYS_PTRACE lets
     * the test's {@code nsenter} open another user's namespaces, to look at a daemon's sandbox from inside.
     */
    static SystemdContainer boot(String image) {
        String id = dockerOk("run", "-d", "--network", "none", "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE",
                "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
                "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                "--tmpfs", "/run", "--tmpfs", "/run/lock", image, "/sbin/init").out().strip();
        SystemdContainer c = new SystemdContainer(id);
        try {
            String[] state = {""};
            c.await("systemd to finish booting", () -> {
                state[0] = c.exec("systemctl", "is-system-running").out().strip();
                return state[0].equals("running") || state[0].equals("degraded");
            });
            return c;
        } catch (RuntimeException | AssertionError e) {
            String logs = docker(Duration.ofSeconds(30), "logs", id).out();
            c.close();
            throw new AssertionError("systemd did not boot in " + image + "; docker logs:\n" + logs, e);
        }
    }

    /** Runs a command in the container as root; any exit status. */
    Processes.Result exec(String... command) {
        return execAs("root", Map.of(), command);
    }

    /** Runs a command as {@code user} with extra environment variables; any exit status. */
    Processes.Result execAs(String user, Map<String, String> env, String... command) {
        List<String> line = new ArrayList<>(List.of("exec", "-u", user));
        env.forEach((k, v) -> line.addAll(List.of("-e", k + "=" + v)));
        line.add(id);
        line.addAll(List.of(command));
        return docker(Duration.ofMinutes(2), line.toArray(String[]::new));
    }

    /** Runs a command in the container as root; fails the test unless it exits 0. */
    Processes.Result execOk(String... command) {
        Processes.Result r = exec(command);
        if (r.exit() != 0) {
            throw new AssertionError("exit " + r.exit() + " from " + String.join(" ", command) + " in the container\n"
                    + "stdout: " + r.out() + "\nstderr: " + r.err());
        }
        return r;
    }

    /** {@code systemctl show UNIT -p NAME --value}. */
    String property(String unit, String name) {
        return execOk("systemctl", "show", unit, "-p", name, "--value").out().strip();
    }

    /** The unit's messages as journald keeps them ({@code journalctl -o cat}: no metadata). */
    String journal(String... selection) {
        List<String> line = new ArrayList<>(List.of("journalctl", "--no-pager", "-o", "cat"));
        line.addAll(List.of(selection));
        return execOk(line.toArray(String[]::new)).out();
    }

    /** Polls {@code condition} every 100 ms until it holds, at most {@link #PATIENCE}. */
    void await(String what, BooleanSupplier condition) {
        Awaits.until(what, PATIENCE, condition);
    }

    /** Removes the container (systemd ignores SIGTERM as PID 1, so no polite stop is attempted). Safe twice. */
    @Override
    public void close() {
        docker(Duration.ofMinutes(2), "rm", "-f", id);
    }

    static Processes.Result docker(Duration timeout, String... args) {
        return DockerEngines.docker(timeout, args);
    }

    static Processes.Result dockerOk(String... args) {
        return DockerEngines.dockerOk(args);
    }
}
