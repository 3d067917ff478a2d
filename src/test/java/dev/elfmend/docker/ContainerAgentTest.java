package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The agent's bookkeeping against a scripted engine: opt-in only, events, engine restarts and stalls. */
class ContainerAgentTest {

    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** An engine in memory: containers, one event stream at a time, and an on/off switch. */
    static final class FakeEngine implements DockerGateway {
        final Map<String, ContainerInfo> containers = new ConcurrentHashMap<>();
        volatile boolean up = true;
        volatile EventListener stream;
        final AtomicInteger connections = new AtomicInteger();

        @Override
        public void ping() {
            if (!up) {
                throw new DockerGatewayException("engine down");
            }
        }

        @Override
        public List<ContainerInfo> runningContainers() {
            ping();
            return containers.values().stream().filter(ContainerInfo::running).toList();
        }

        @Override
        public Optional<ContainerInfo> inspect(String idOrName) {
            ping();
            return Optional.ofNullable(containers.get(idOrName));
        }

        @Override
        public Subscription followContainerEvents(EventListener listener) {
            ping();
            stream = listener;
            connections.incrementAndGet();
            return () -> { };
        }

        void start(String id, long pid, boolean optedIn) {
            containers.put(id, new ContainerInfo(id, "c-" + id, pid, true,
                    optedIn ? Map.of(OptIn.ENABLE_LABEL, "true") : Map.of()));
            stream.event(new ContainerEvent(id, "start"));
        }

        void die(String id) {
            containers.remove(id);
            stream.event(new ContainerEvent(id, "die"));
        }

        /** The engine stops: the stream breaks and every container is gone. */
        void stop() {
            up = false;
            containers.clear();
            stream.ended(new RuntimeException("connection reset"));
        }

        /** The engine hangs: it stops answering, and the stream neither delivers nor ends. */
        void stall() {
            up = false;
        }

        @Override
        public void close() {
        }
    }

    /** What the agent told its handler. */
    static final class Recorder implements ContainerAgent.Handler {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<String> refreshed = new CopyOnWriteArrayList<>();
        final List<String> disconnects = new CopyOnWriteArrayList<>();

        @Override
        public void attach(ContainerInfo c) {
            calls.add("attach " + c.id() + "@" + c.pid());
        }

        @Override
        public void detach(ContainerInfo c) {
            calls.add("detach " + c.id());
        }

        @Override
        public void refresh(ContainerInfo c) {
            refreshed.add(c.id());
        }

        @Override
        public void disconnected(String reason, Duration retryIn) {
            disconnects.add(reason);
        }
    }

    private final FakeEngine engine = new FakeEngine();
    private final Recorder handler = new Recorder();

    private ContainerAgent agent() {
        return new ContainerAgent(engine, new OptIn(false), handler, new ContainerAgent.Timing(Duration.ofMillis(10),
                Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(20)));
    }

    @Test
    void attachesOnlyContainersThatOptedInAndReleasesThemWhenTheyDie() {
        engine.containers.put("a", new ContainerInfo("a", "a", 10, true, Map.of(OptIn.ENABLE_LABEL, "true")));
        engine.containers.put("b", new ContainerInfo("b", "b", 11, true, Map.of()));
        try (ContainerAgent agent = agent().start()) {
            await(() -> agent.attachedContainers().equals(java.util.Set.of("a")));
            engine.start("c", 12, true);
            engine.start("d", 13, false);
            await(() -> agent.attachedContainers().equals(java.util.Set.of("a", "c")));
            engine.die("a");
            await(() -> agent.attachedContainers().equals(java.util.Set.of("c")));
        }
        assertEquals(List.of("attach a@10", "attach c@12", "detach a", "detach c"), handler.calls);
    }

    @Test
    void survivesAnEngineRestartAndPicksUpTheContainersRunningAfterIt() {
        engine.containers.put("a", new ContainerInfo("a", "a", 10, true, Map.of(OptIn.ENABLE_LABEL, "true")));
        try (ContainerAgent agent = agent().start()) {
            await(() -> agent.attachedContainers().contains("a"));
            engine.stop();
            // While the engine is away nobody reports deaths, and a dead container's pid may be reused.
            await(() -> handler.calls.contains("detach a") && agent.attachedContainers().isEmpty());
            engine.containers.put("a", new ContainerInfo("a", "a", 20, true, Map.of(OptIn.ENABLE_LABEL, "true")));
            engine.up = true;
            await(() -> engine.connections.get() >= 2 && handler.calls.contains("attach a@20"));
            assertTrue(handler.calls.indexOf("detach a") < handler.calls.indexOf("attach a@20"), handler.calls.toString());
        }
    }

    @Test
    void anEngineThatHangsWithoutEndingTheStreamIsNoticedAndReconnected() {
        engine.containers.put("a", new ContainerInfo("a", "a", 10, true, Map.of(OptIn.ENABLE_LABEL, "true")));
        try (ContainerAgent agent = agent().start()) {
            await(() -> agent.attachedContainers().contains("a"));
            engine.stall();
            await(() -> !handler.disconnects.isEmpty() && handler.calls.contains("detach a"));
            engine.up = true;
            await(() -> engine.connections.get() >= 2 && agent.attachedContainers().contains("a"));
        }
        assertEquals(List.of("attach a@10", "detach a", "attach a@10", "detach a"), handler.calls);
    }

    @Test
    void attachedContainersAreRefreshedAndTheOthersAreNot() {
        engine.containers.put("a", new ContainerInfo("a", "a", 10, true, Map.of(OptIn.ENABLE_LABEL, "true")));
        engine.containers.put("b", new ContainerInfo("b", "b", 11, true, Map.of(OptIn.ENABLE_LABEL, "false")));
        try (ContainerAgent agent = agent().start()) {
            await(() -> handler.refreshed.size() >= 3);
        }
        assertEquals(java.util.Set.of("a"), java.util.Set.copyOf(handler.refreshed));
    }

    @Test
    void refusalSaysWhetherTheContainerOptedOutOrNeverOptedIn() {
        ContainerInfo plain = new ContainerInfo("p", "p", 1, true, Map.of());
        ContainerInfo out = new ContainerInfo("o", "o", 1, true, Map.of(OptIn.ENABLE_LABEL, "false"));
        ContainerInfo in = new ContainerInfo("i", "i", 1, true, Map.of(OptIn.ENABLE_LABEL, "TRUE"));
        assertTrue(new OptIn(true).refusal(plain).orElseThrow().contains("did not opt in"));
        assertTrue(new OptIn(true).refusal(out).orElseThrow().contains(OptIn.ENABLE_LABEL + "=false"));
        assertTrue(new OptIn(false).refusal(in).isEmpty());
    }

    @Test
    void enableFalseWinsOverTheDevcontainerLabel() {
        ContainerInfo dev = new ContainerInfo("x", "x", 1, true, Map.of(OptIn.DEVCONTAINER_LABEL, "/src"));
        ContainerInfo refused = new ContainerInfo("y", "y", 1, true,
                Map.of(OptIn.DEVCONTAINER_LABEL, "/src", OptIn.ENABLE_LABEL, "false"));
        assertTrue(new OptIn(true).accepts(dev));
        assertFalse(new OptIn(false).accepts(dev));
        assertFalse(new OptIn(true).accepts(refused));
    }

    private static void await(java.util.function.BooleanSupplier condition) {
        Awaits.until("the agent to catch up", PATIENCE, condition);
    }
}
