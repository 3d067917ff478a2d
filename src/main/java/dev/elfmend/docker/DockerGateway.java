package dev.elfmend.docker;

import java.util.List;
import java.util.Optional;

/**
 * What elfmend needs from a Docker engine, and nothing more; docker-java stays behind it
 * ({@link DockerJavaGateway}). Every method may throw {@link DockerGatewayException}.
 */
public interface DockerGateway extends AutoCloseable {

    /** Answers when the engine is reachable; throws otherwise. */
    void ping();

    /** The running containers, with their pids and labels. */
    List<ContainerInfo> runningContainers();

    /** The container with this id or name, if it exists (running or not). */
    Optional<ContainerInfo> inspect(String idOrName);

    /**
     * Follows container events until {@link Subscription#close()} or until the stream ends (the engine
     * stopped or the connection broke), which is reported through {@link EventListener#ended}.
     */
    Subscription followContainerEvents(EventListener listener);

    @Override
    void close();

    /** Receives events on the gateway's thread. */
    interface EventListener {
        void event(ContainerEvent event);

        /** The stream ended; {@code cause} is null when it was closed on purpose or ended cleanly. */
        void ended(Throwable cause);
    }

    /** A running event stream. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
