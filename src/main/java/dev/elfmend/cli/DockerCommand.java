package dev.elfmend.cli;

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

    /** Store options for a container: its root through /proc, its own store, a cache of its own. */
    static StoreOptions storeFor(ContainerInfo container, Path root, Path cacheDir) {
        StoreOptions store = new StoreOptions();
        store.root = new RootOption();
        store.root.root = root;
        store.storeDir = "/nix/store";
        store.cacheDir = cacheDir.resolve(container.id());
        return store;
    }

    /** One watch daemon per attached container. */
    static final class ContainerWatches implements ContainerAgent.Handler {
        private final List<String> trees;
        private final Path cacheDir;
        private final Duration settle;
        private final Map<String, WatchDaemon> daemons = new ConcurrentHashMap<>();

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
            try {
                WatchDaemon daemon = WatchDaemon.builder().trees(watch)
                        .environment(new DaemonEnvironment(storeFor(c, root, cacheDir)))
                        .settle(settle).listener(new ContainerLog(c, root)).build();
                daemons.put(c.id(), daemon);
                daemon.start();
                LOG.info("container {}: watching {}", c.describe(), watch.stream()
                        .map(p -> "/" + root.relativize(p)).toList());
            } catch (IOException e) {
                LOG.warn("cannot watch container {}: {}", c.describe(), e.getMessage());
            }
        }

        @Override
        public void detach(ContainerInfo c) {
            WatchDaemon daemon = daemons.remove(c.id());
            if (daemon != null) {
                daemon.close();
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
        public void ignored(ContainerInfo c) {
            LOG.debug("container {} did not opt in ({}=true); not touching it", c.describe(), OptIn.ENABLE_LABEL);
        }

        @Override
        public void warning(String message) {
            LOG.warn(message);
        }
    }

    /** The daemon's events for one container, with paths as seen inside it. */
    private record ContainerLog(ContainerInfo container, Path root) implements WatchDaemon.Listener {
        @Override
        public void fileDone(dev.elfmend.fixup.Fixer.FileResult r) {
            String file = "/" + root.relativize(r.file());
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
            LOG.warn("{}: {}", container.name(), message);
        }
    }

    /** {@code elfmend docker fix CONTAINER [PATH...]}: one {@code fix} inside a running container. */
    @Command(name = "fix", mixinStandardHelpOptions = true,
            description = "Fix once inside a running container (no label needed: you named it). PATHs are "
                    + "paths inside the container; default: its editor server directories.")
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
