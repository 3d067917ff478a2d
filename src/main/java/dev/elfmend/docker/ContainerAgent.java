package dev.elfmend.docker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * The host-side agent's bookkeeping: keeps a {@link Handler} attached to exactly the running containers
 * that opted in. Lists them on connect, then follows the engine's event stream (start, die, stop);
 * when the stream breaks or stalls (the engine restarted or hangs) it releases everything, reconnects
 * with backoff and reconciles again. What to do with an attached container (watch its trees) is the
 * handler's business.
 */
public final class ContainerAgent implements AutoCloseable {

    /** What the agent does with containers; called from the agent's single thread, in order. */
    public interface Handler {
        /** A running, opted-in container to work on ({@link ContainerInfo#rootOnHost()}). */
        void attach(ContainerInfo container);

        /** The container's process is gone (or the agent stops, or lost the engine): release it. */
        void detach(ContainerInfo container);

        /** Called every {@link Timing#refresh()} for each attached container: trees may have appeared in it. */
        default void refresh(ContainerInfo container) {}

        default void connected(String detail) {}

        default void disconnected(String reason, Duration retryIn) {}

        /** A running container that did not opt in; {@code why} says so for messages. Called once per container. */
        default void ignored(ContainerInfo container, String why) {}

        default void warning(String message) {}
    }

    /**
     * How the agent paces itself: reconnect backoff, how often it makes sure a quiet event stream still
     * has an engine behind it, and how often attached containers are refreshed.
     */
    public record Timing(Duration minBackoff, Duration maxBackoff, Duration heartbeat, Duration refresh) {
        public static final Timing DEFAULT = new Timing(Duration.ofMillis(500), Duration.ofSeconds(30),
                Duration.ofSeconds(15), Duration.ofSeconds(2));
    }

    private final DockerGateway gateway;
    private final OptIn optIn;
    private final Handler handler;
    private final Timing timing;

    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> named(r, "elfmend-docker-events"));
    private final Map<String, ContainerInfo> attached = new ConcurrentHashMap<>();
    private final Set<String> ignored = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Thread loop;
    private volatile DockerGateway.Subscription subscription;
    private volatile CountDownLatch streamEnded;
    private volatile boolean reachedEngine;

    public ContainerAgent(DockerGateway gateway, OptIn optIn, Handler handler, Timing timing) {
        this.gateway = Objects.requireNonNull(gateway);
        this.optIn = Objects.requireNonNull(optIn);
        this.handler = Objects.requireNonNull(handler);
        this.timing = Objects.requireNonNull(timing);
    }

    public ContainerAgent(DockerGateway gateway, OptIn optIn, Handler handler) {
        this(gateway, optIn, handler, Timing.DEFAULT);
    }

    /** Starts following the engine on a thread of its own; returns at once. */
    public ContainerAgent start() {
        loop = Thread.ofPlatform().name("elfmend-docker-agent").daemon().start(this::run);
        return this;
    }

    /** Ids of the containers currently attached (for tests and status). */
    public Set<String> attachedContainers() {
        return Set.copyOf(attached.keySet());
    }

    private void run() {
        Duration backoff = timing.minBackoff();
        try {
            while (!closed.get()) {
                try {
                    connectAndFollow();
                } catch (DockerGatewayException e) {
                    if (closed.get()) {
                        break;
                    }
                    if (reachedEngine) {
                        backoff = timing.minBackoff(); // it was up until now: retry soon, then slow down
                        reachedEngine = false;
                        // Without events, a container's death goes unseen and its pid may be reused by
                        // another process: let go of every container until the engine answers again.
                        submit(this::releaseAll);
                    }
                    handler.disconnected(e.getMessage(), backoff);
                    Thread.sleep(backoff.toMillis());
                    Duration doubled = backoff.multipliedBy(2);
                    backoff = doubled.compareTo(timing.maxBackoff()) > 0 ? timing.maxBackoff() : doubled;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    private void connectAndFollow() throws InterruptedException {
        gateway.ping();
        reachedEngine = true;
        CountDownLatch ended = new CountDownLatch(1);
        streamEnded = ended;
        // Subscribe before listing so that nothing starting in between is missed.
        subscription = gateway.followContainerEvents(new DockerGateway.EventListener() {
            @Override
            public void event(ContainerEvent event) {
                submit(() -> onEvent(event));
            }

            @Override
            public void ended(Throwable cause) {
                ended.countDown();
            }
        });
        try {
            List<ContainerInfo> running = gateway.runningContainers();
            submit(() -> reconcile(running));
            handler.connected(running.size() + " running containers");
            follow(ended);
        } finally {
            subscription.close();
        }
        if (!closed.get()) {
            throw new DockerGatewayException("the event stream of the Docker engine ended");
        }
    }

    /** Waits for the stream to end, refreshing attached containers and checking the engine now and then. */
    private void follow(CountDownLatch ended) throws InterruptedException {
        long lastPing = System.nanoTime();
        while (!ended.await(timing.refresh().toMillis(), TimeUnit.MILLISECONDS)) {
            submit(this::refreshAll);
            if (System.nanoTime() - lastPing >= timing.heartbeat().toNanos()) {
                // A stream can stall without ending (an engine that hangs, a network that went away).
                gateway.ping();
                lastPing = System.nanoTime();
            }
        }
    }

    private void refreshAll() {
        for (ContainerInfo c : List.copyOf(attached.values())) {
            if (closed.get()) {
                return;
            }
            try {
                handler.refresh(c);
            } catch (RuntimeException e) {
                handler.warning("cannot refresh container " + c.describe() + ": " + e.getMessage());
            }
        }
    }

    private void releaseAll() {
        for (String id : List.copyOf(attached.keySet())) {
            release(id);
        }
    }

    private void reconcile(List<ContainerInfo> running) {
        Map<String, ContainerInfo> byId = running.stream()
                .collect(Collectors.toMap(ContainerInfo::id, c -> c, (a, b) -> a));
        for (ContainerInfo old : List.copyOf(attached.values())) {
            ContainerInfo now = byId.get(old.id());
            if (now == null || now.pid() != old.pid()) {
                release(old.id());
            }
        }
        running.forEach(this::consider);
    }

    private void onEvent(ContainerEvent event) {
        if (event.ended()) {
            release(event.containerId());
            ignored.remove(event.containerId());
        } else if (event.started()) {
            try {
                gateway.inspect(event.containerId()).ifPresent(c -> {
                    ContainerInfo old = attached.get(c.id());
                    if (old != null && old.pid() != c.pid()) {
                        release(c.id());
                    }
                    consider(c);
                });
            } catch (DockerGatewayException e) {
                handler.warning(e.getMessage());
            }
        }
    }

    private void consider(ContainerInfo c) {
        if (closed.get() || !c.running() || c.pid() <= 0 || attached.containsKey(c.id())) {
            return;
        }
        Optional<String> refusal = optIn.refusal(c);
        if (refusal.isPresent()) {
            if (ignored.add(c.id())) {
                handler.ignored(c, refusal.get());
            }
            return;
        }
        attached.put(c.id(), c);
        try {
            handler.attach(c);
        } catch (RuntimeException e) {
            handler.warning("cannot work on container " + c.describe() + ": " + e.getMessage());
        }
    }

    private void release(String id) {
        ContainerInfo c = attached.remove(id);
        if (c != null) {
            try {
                handler.detach(c);
            } catch (RuntimeException e) {
                handler.warning("cannot release container " + c.describe() + ": " + e.getMessage());
            }
        }
    }

    private void submit(Runnable task) {
        if (!closed.get()) {
            events.execute(task);
        }
    }

    /** Stops following the engine and releases every attached container. Safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        DockerGateway.Subscription s = subscription;
        if (s != null) {
            s.close();
        }
        CountDownLatch ended = streamEnded;
        if (ended != null) {
            ended.countDown();
        }
        Thread t = loop;
        if (t != null) {
            t.interrupt();
            try {
                stopped.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        events.shutdown();
        try {
            events.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        releaseAll();
    }

    private static Thread named(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
