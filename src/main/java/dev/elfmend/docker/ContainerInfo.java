package dev.elfmend.docker;

import java.nio.file.Path;
import java.util.Map;

/**
 * A container as the agent needs it: identity, the host pid of its main process (its filesystem is
 * reachable on the host at {@code /proc/<pid>/root}) and its labels.
 */
public record ContainerInfo(String id, String name, long pid, boolean running, Map<String, String> labels) {

    public ContainerInfo {
        labels = Map.copyOf(labels);
    }

    /** The first twelve characters of the id, as {@code docker ps} shows it. */
    public String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** The container's root filesystem as seen from the host, through its main process. */
    public Path rootOnHost() {
        if (pid <= 0) {
            throw new IllegalStateException("container " + name + " has no running process");
        }
        return Path.of("/proc", Long.toString(pid), "root");
    }

    /** Name and short id, for messages. */
    public String describe() {
        return name + " (" + shortId() + ")";
    }
}
