package dev.elfmend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link DockerGateway} over docker-java with the zerodep transport. The engine comes from the usual
 * environment ({@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY}, {@code DOCKER_CERT_PATH}, ~/.docker),
 * and no API version is pinned, so old and new engines both answer.
 */
public final class DockerJavaGateway implements DockerGateway {

    /** Answers that take longer than this come from an engine that hangs: fail, and let the agent retry. */
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

    private final DockerClient client;
    private final DockerClient events;
    private final String host;

    private DockerJavaGateway(DockerClient client, DockerClient events, String host) {
        this.client = client;
        this.events = events;
        this.host = host;
    }

    /** A gateway to the engine the environment names (default {@code unix:///var/run/docker.sock}). */
    public static DockerJavaGateway fromEnvironment() {
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        // The event stream is quiet for hours, so only requests get a response timeout; a stream that
        // stalls is noticed by the agent's heartbeat instead.
        DockerClient requests = DockerClientImpl.getInstance(config, http(config).responseTimeout(RESPONSE_TIMEOUT).build());
        DockerClient events = DockerClientImpl.getInstance(config, http(config).maxConnections(2).build());
        return new DockerJavaGateway(requests, events, config.getDockerHost().toString());
    }

    private static ZerodepDockerHttpClient.Builder http(DockerClientConfig config) {
        return new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(Duration.ofSeconds(5))
                .maxConnections(16);
    }

    @Override
    public void ping() {
        call("reach", () -> client.pingCmd().exec());
    }

    @Override
    public List<ContainerInfo> runningContainers() {
        List<Container> listed = call("list containers on", () -> client.listContainersCmd()
                .withStatusFilter(List.of("running")).exec());
        List<ContainerInfo> out = new ArrayList<>();
        for (Container c : listed) {
            // The list carries no pid; inspect each (a container may stop in between: skip it).
            inspect(c.getId()).filter(ContainerInfo::running).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public Optional<ContainerInfo> inspect(String idOrName) {
        try {
            InspectContainerResponse r = call("inspect a container on", () -> client.inspectContainerCmd(idOrName).exec());
            InspectContainerResponse.ContainerState state = r.getState();
            boolean running = state != null && Boolean.TRUE.equals(state.getRunning());
            Long pid = state == null ? null : state.getPidLong();
            Map<String, String> labels = r.getConfig() == null || r.getConfig().getLabels() == null
                    ? Map.of() : r.getConfig().getLabels();
            String name = r.getName() == null ? idOrName : r.getName().replaceFirst("^/", "");
            return Optional.of(new ContainerInfo(r.getId(), name, pid == null ? 0 : pid, running, labels));
        } catch (DockerGatewayException e) {
            if (e.getCause() instanceof NotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Subscription followContainerEvents(EventListener listener) {
        ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
            private volatile boolean reported;

            @Override
            public void onNext(Event e) {
                String id = e.getActor() != null && e.getActor().getId() != null ? e.getActor().getId() : e.getId();
                String action = e.getAction() != null ? e.getAction() : e.getStatus();
                if (id != null && action != null) {
                    // "exec_start: sh -c ..." and "health_status: healthy" carry details after a colon.
                    int colon = action.indexOf(':');
                    listener.event(new ContainerEvent(id, colon < 0 ? action : action.substring(0, colon).trim()));
                }
            }

            /** Not the adapter's own: it logs a stack trace at ERROR for what is an engine restart here. */
            @Override
            public void onError(Throwable t) {
                try {
                    close();
                } catch (IOException e) {
                    // The stream is broken already.
                }
                report(t);
            }

            @Override
            public void onComplete() {
                super.onComplete();
                report(null);
            }

            private synchronized void report(Throwable t) {
                if (!reported) {
                    reported = true;
                    listener.ended(t);
                }
            }
        };
        call("follow events on", () -> events.eventsCmd().withEventTypeFilter(EventType.CONTAINER).exec(callback));
        return () -> {
            try {
                callback.close();
            } catch (IOException e) {
                // Closing a broken stream: nothing more to do.
            }
        };
    }

    @Override
    public void close() {
        for (DockerClient c : List.of(events, client)) {
            try {
                c.close();
            } catch (IOException e) {
                // The connection is gone either way.
            }
        }
    }

    private <T> T call(String what, java.util.function.Supplier<T> request) {
        try {
            return request.get();
        } catch (RuntimeException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().trim();
            throw new DockerGatewayException("cannot " + what + " the Docker engine at " + host + ": " + reason
                    + " (is it running? DOCKER_HOST selects another engine)", e);
        }
    }
}
