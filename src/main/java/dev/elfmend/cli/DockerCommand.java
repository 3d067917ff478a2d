package dev.elfmend.cli;

import ch.qos.logback.classic.Level;
import dev.elfmend.docker.ContainerAgent;
import dev.elfmend.docker.ContainerInfo;
import dev.elfmend.docker.ContainerTrees;
import dev.elfmend.docker.DockerGateway;
import dev.elfmend.docker.DockerGatewayException;
import dev.elfmend.docker.DockerJavaGateway;
import dev.elfmend.docker.OptIn;
import dev.elfmend.watch.WatchDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code elfmend docker}: the host-side agent. Watches the editor trees of every running container that
 * opted in (label {@code dev.elfmend.enable=true}) through {@code /proc/<pid>/root}, resolving against
 * the container's own store; {@code elfmend docker fix CONTAINER} does it once.
 */
@Command(name = "docker", mixinStandardHelpOptions = true, subcommands = DockerCommand.Fix.class,
        description = {"Patch binaries inside running containers that opted in with the label "
                + OptIn.ENABLE_LABEL + "=true, as they appear; follows the Docker engine's events.",
                "The engine comes from DOCKER_HOST (default unix:///var/run/docker.sock). Needs root."})
final class DockerCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger("elfmend");
    private static final String SHADED_HTTP_CLIENT = "com.github.dockerjava.zerodep.shaded.org.apache.hc";

    @Spec
    CommandSpec spec;

    @Option(names = "--tree", paramLabel = "DIR", description = "A tree to watch inside each container (repeatable; "
            + "~/ means every home). Default: the container's " + OptIn.TREES_LABEL + " label, else the editor "
            + "server directories.")
    List<String> trees = new ArrayList<>();

    @Option(names = "--devcontainers", description = "Also work on devcontainers (label "
            + OptIn.DEVCONTAINER_LABEL + ") unless they set " + OptIn.ENABLE_LABEL + "=false.")
    boolean devcontainers;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where store indexes are cached, one per container. Default: /var/cache/elfmend/docker.")
    Path cacheDir = Path.of("/var/cache/elfmend/docker");

    @Option(names = "--settle-ms", paramLabel = "MS", description = "Quiet time before a changed file counts as written.")
    long settleMillis = 25;

    @Override
    public Integer call() throws InterruptedException {
        quietTransportLogs();
        DockerGateway gateway = DockerJavaGateway.fromEnvironment();
        ContainerWatches watches = new ContainerWatches(trees, cacheDir, Duration.ofMillis(settleMillis));
        ContainerAgent agent = new ContainerAgent(gateway, new OptIn(devcontainers), watches);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            gateway.close();
            stopped.countDown();
        }, "elfmend-shutdown"));
        agent.start();
        stopped.await();
        return ExitCodes.OK;
    }

    /**
     * While the engine is down, docker-java's HTTP client reports every refused connection at INFO; the
     * agent says once per attempt what happened and when it retries. {@code -v} shows them again.
     */
    private static void quietTransportLogs() {
        if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root
                && root.getLevel() != null && root.getLevel().isGreaterOrEqual(Level.INFO)
                && LoggerFactory.getLogger(SHADED_HTTP_CLIENT) instanceof ch.qos.logback.classic.Logger http) {
            http.setLevel(Level.WARN);
        }
    }

    /** Store options for a container: its root through /proc, its own store, a cache of its own. */
    static StoreOptions storeFor(ContainerInfo container, Path root, Path cacheDir) {
        StoreOptions store = new StoreOptions();
        store.root = new RootOption();
        store.root.root = root;
        store.storeDir = "/nix/store";
        store.cacheDir = cacheDir.resolve(container.id());
        return store;
    }

    /**
     * One watch daemon per attached container. The trees are worked out again on every refresh: a home
     * created after the container started (a user added by a setup script) gets its trees watched too.
     */
    static final class ContainerWatches implements ContainerAgent.Handler {
        private final List<String> trees;
        private final Path cacheDir;
        private final Duration settle;
        private final Map<String, Watch> watches = new ConcurrentHashMap<>();

        /** A container's daemon, the trees it was given, and its log. */
        private record Watch(WatchDaemon daemon, List<Path> trees, ContainerLog log) {
            void close() {
                log.released = true;
                daemon.close();
            }
        }

        ContainerWatches(List<String> trees, Path cacheDir, Duration settle) {
            this.trees = List.copyOf(trees);
            this.cacheDir = cacheDir;
            this.settle = settle;
        }

        @Override
        public void attach(ContainerInfo c) {
            Path root = c.rootOnHost();
            if (!Files.isDirectory(root.resolve("nix/store"), LinkOption.NOFOLLOW_LINKS)) {
                LOG.warn("container {} has no /nix/store; nothing to resolve against, leaving it alone", c.describe());
                return;
            }
            List<Path> watch = ContainerTrees.of(c, root, trees);
            if (start(c, root, watch)) {
                LOG.info("container {}: watching {}", c.describe(), inside(root, watch));
            }
        }

        @Override
        public void refresh(ContainerInfo c) {
            Watch current = watches.get(c.id());
            if (current == null) {
                return;
            }
            Path root = c.rootOnHost();
            if (!alive(root)) {
                return; // its death is on its way through the event stream
            }
            List<Path> now = ContainerTrees.of(c, root, trees);
            if (now.equals(current.trees())) {
                return;
            }
            // The daemon's trees are fixed when it is built; a new one scans everything first, so
            // nothing dropped in between is missed.
            current.close();
            watches.remove(c.id());
            List<Path> added = now.stream().filter(p -> !current.trees().contains(p)).toList();
            if (start(c, root, now)) {
                LOG.info("container {}: now also watching {}", c.describe(), inside(root, added));
            }
        }

        private boolean start(ContainerInfo c, Path root, List<Path> watch) {
            ContainerLog log = new ContainerLog(c, root);
            try {
                WatchDaemon daemon = WatchDaemon.builder().trees(watch)
                        .environment(new DaemonEnvironment(storeFor(c, root, cacheDir)))
                        .settle(settle).listener(log).build();
                watches.put(c.id(), new Watch(daemon, watch, log));
                daemon.start();
                return true;
            } catch (IOException e) {
                LOG.warn("cannot watch container {}: {}", c.describe(), e.getMessage());
                return false;
            }
        }

        private static List<String> inside(Path root, List<Path> hostPaths) {
            return hostPaths.stream().map(p -> "/" + root.relativize(p)).toList();
        }

        @Override
        public void detach(ContainerInfo c) {
            Watch watch = watches.remove(c.id());
            if (watch != null) {
                watch.close();
                LOG.info("container {} stopped; released", c.describe());
            }
        }

        @Override
        public void connected(String detail) {
            LOG.info("connected to the Docker engine: {}", detail);
        }

        @Override
        public void disconnected(String reason, Duration retryIn) {
            LOG.warn("{}; retrying in {} ms", reason, retryIn.toMillis());
        }

        @Override
        public void ignored(ContainerInfo c, String why) {
            LOG.debug("container {} {}; not touching it", c.describe(), why);
        }

        @Override
        public void warning(String message) {
            LOG.warn(message);
        }
    }

    /**
     * Whether the container's main process still lives: {@code /proc/<pid>/root} is a link the kernel
     * resolves to the container's root only while it does (following it is the point here).
     */
    static boolean alive(Path root) {
        return Files.isDirectory(root);
    }

    /** The daemon's events for one container, with paths as seen inside it. */
    private static final class ContainerLog implements WatchDaemon.Listener {
        private final ContainerInfo container;
        private final Path root;
        /** Set when the container is released; its root may be gone by then (the container died). */
        volatile boolean released;

        ContainerLog(ContainerInfo container, Path root) {
            this.container = container;
            this.root = root;
        }

        @Override
        public void fileDone(dev.elfmend.fixup.Fixer.FileResult r) {
            String file = "/" + dev.elfmend.fixup.FileNames.shown(root.relativize(r.file()));
            switch (r.outcome()) {
                case PATCHED -> LOG.info("{}: patched {}: {}", container.name(), file, String.join("; ", r.changes()));
                case UNRESOLVED -> LOG.warn("{}: patched {} but some libraries stay unresolved: {}", container.name(),
                        file, r.plan().unresolved().stream().map(n -> n.name() + " (" + n.reason() + ")").toList());
                case FAILED -> LOG.warn("{}: cannot fix {}: {}", container.name(), file, r.error());
                default -> LOG.debug("{}: {}: {}", container.name(), r.outcome(), file);
            }
        }

        @Override
        public void warning(String message) {
            if (alive(root)) {
                LOG.warn("{}: {}", container.name(), message);
            } else if (released) {
                // The daemon saving its state once more as it closes, into a container that is gone.
                LOG.debug("{} (released): {}", container.name(), message);
            } else {
                LOG.warn("{}: the container stopped while elfmend worked in it, so its last changes are not "
                        + "recorded in the journal there ({})", container.name(), message);
            }
        }
    }

    /** {@code elfmend docker fix CONTAINER [PATH...]}: one {@code fix} inside a running container. */
    @Command(name = "fix", mixinStandardHelpOptions = true,
            description = "Fix once inside a running container that opted in (label " + OptIn.ENABLE_LABEL
                    + "=true; --force for one that did not). PATHs are paths inside the container; default: "
                    + "its editor server directories.")
    static final class Fix implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "CONTAINER", description = "Name or id of a running container.")
        String container;

        @Parameters(index = "1..*", paramLabel = "PATH", description = "Paths inside the container.")
        List<String> paths = new ArrayList<>();

        @Option(names = "--strict", description = "Exit with status 4 when anything stays unresolved.")
        boolean strict;

        @Option(names = "--dry-run", description = "Show what would change; change nothing.")
        boolean dryRun;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where store indexes are cached.")
        Path cacheDir = Path.of("/var/cache/elfmend/docker");

        @Option(names = "--devcontainers", description = "A devcontainer (label " + OptIn.DEVCONTAINER_LABEL
                + ") counts as opted in unless it sets " + OptIn.ENABLE_LABEL + "=false.")
        boolean devcontainers;

        @Option(names = "--force", description = "Fix the container even though it did not opt in, or opted out.")
        boolean force;

        @Override
        public Integer call() {
            ContainerInfo c;
            try (DockerGateway gateway = DockerJavaGateway.fromEnvironment()) {
                c = gateway.inspect(container).orElseThrow(() -> new DockerGatewayException(
                        "no container " + container + " (docker ps lists the running ones)"));
            }
            if (!c.running() || c.pid() <= 0) {
                throw new DockerGatewayException("container " + c.describe() + " is not running; start it first");
            }
            if (!force) {
                new OptIn(devcontainers).refusal(c).ifPresent(why -> {
                    throw new DockerGatewayException("container " + c.describe() + " " + why + "; nothing changed. "
                            + "Start it with --label " + OptIn.ENABLE_LABEL + "=true, or pass --force to fix it anyway");
                });
            }
            Path root = c.rootOnHost();
            List<Path> targets = new ArrayList<>();
            if (paths.isEmpty()) {
                ContainerTrees.of(c, root, List.of()).stream()
                        .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(targets::add);
            } else {
                paths.forEach(p -> targets.add(ContainerTrees.onHost(root, p.startsWith("/") ? p : "/" + p)));
            }
            if (targets.isEmpty()) {
                spec.commandLine().getOut().println("container " + c.describe() + " has none of the editor server "
                        + "directories; name paths to fix");
                return ExitCodes.OK;
            }
            List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--cache-dir",
                    cacheDir.resolve(c.id()).toString()));
            if (strict) {
                args.add("--strict");
            }
            if (dryRun) {
                args.add("--dry-run");
            }
            if (json) {
                args.add("--json");
            }
            targets.forEach(t -> args.add(t.toString()));
            CommandLine fix = new CommandLine(new FixCommand());
            fix.setOut(spec.commandLine().getOut());
            fix.setErr(spec.commandLine().getErr());
            fix.setExecutionExceptionHandler(new ErrorHandler());
            return fix.execute(args.toArray(String[]::new));
        }
    }
}
