package dev.elfmend.cli;

import dev.elfmend.config.ConfigException;
import dev.elfmend.config.ElfmendConfig;
import dev.elfmend.fixup.FileNames;
import dev.elfmend.fixup.FilePolicy;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.watch.WatchDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend watch}: the daemon. Runs until SIGTERM/SIGINT, then stops within a few seconds. */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Watch trees such as ~/.vscode-server and patch every foreign ELF file the moment it is complete.")
final class WatchCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger("elfmend");

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    FixCommand.PolicyOptions policy;

    @Option(names = "--config", paramLabel = "FILE", description = "JSON configuration (the format the NixOS module writes).")
    Path config;

    @Option(names = "--tree", paramLabel = "DIR", description = "A tree to watch (repeatable). Default: the editor "
            + "server directories in your home and /vscode/vscode-server.")
    List<Path> trees = new ArrayList<>();

    @Option(names = "--settle-ms", paramLabel = "MS", description = "Quiet time before a changed file counts as written.")
    Long settleMillis;

    @Option(names = "--reverify-interval", paramLabel = "SECONDS",
            description = "Re-check every watched file this often (0: only on store changes). Default: 600.")
    Long reverifySeconds;

    @Override
    public Integer call() throws java.io.IOException, InterruptedException, ConfigException {
        ElfmendConfig cfg = config != null ? ElfmendConfig.load(config) : ElfmendConfig.defaults();
        applyConfig(cfg);
        List<Path> watch = new ArrayList<>(trees);
        if (watch.isEmpty()) {
            watch.addAll(cfg.treePaths(Path.of(System.getProperty("user.home", "/"))));
        }
        WatchDaemon.Environment environment = environment();
        WatchDaemon daemon = WatchDaemon.builder().trees(watch).environment(environment)
                .settle(Duration.ofMillis(settleMillis != null ? settleMillis : cfg.settleMillis()))
                .reverifyInterval(Duration.ofSeconds(reverifySeconds != null ? reverifySeconds
                        : cfg.reverifyIntervalSeconds()))
                .workers(cfg.workers())
                .listener(new LogListener()).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "elfmend-shutdown"));
        LOG.info("watching {}", watch);
        daemon.start();
        stopped.await();
        return ExitCodes.OK;
    }

    /** What the daemon works with: the store options and the policy, after the configuration file. */
    WatchDaemon.Environment environment() throws java.io.IOException {
        return withPolicy(new DaemonEnvironment(store), policy.policy());
    }

    /**
     * The daemon's fixers with the command's policy. The owner rule needs nothing from here: each fix
     * looks at the owner of the tree it works in (the daemon passes the tree's temp directory).
     */
    private static WatchDaemon.Environment withPolicy(WatchDaemon.Environment environment, FilePolicy policy) {
        return new WatchDaemon.Environment() {
            @Override
            public Fixer newFixer() throws java.io.IOException {
                return environment.newFixer().withPolicy(policy);
            }

            @Override
            public void persist(Fixer fixer) throws java.io.IOException {
                environment.persist(fixer);
            }

            @Override
            public long storeStamp() {
                return environment.storeStamp();
            }
        };
    }

    /** Fills what the command line left open from the configuration file (the command line wins). */
    void applyConfig(ElfmendConfig cfg) {
        if (config == null) {
            return;
        }
        policy.allowPrivileged |= cfg.allowPrivileged();
        policy.allowHardLinks |= cfg.allowHardLinks();
        if (trees.isEmpty() && !cfg.trees().isEmpty()) {
            trees.addAll(cfg.treePaths(Path.of(System.getProperty("user.home", "/"))));
        }
        if (store.root.root.toString().equals("/")) {
            store.root.root = Path.of(cfg.root());
        }
        if (store.storeDir.equals("/nix/store")) {
            store.storeDir = cfg.storeDir();
        }
        store.prefer.addAll(cfg.prefer());
        store.profiles.addAll(cfg.profiles());
        cfg.extraLibraries().forEach(e -> store.extraLibraries.add(e.glob() + "=" + String.join(",", e.libraries())));
        if (store.stateDir == null && cfg.stateDir() != null) {
            store.stateDir = Path.of(cfg.stateDir());
        }
        if (store.cacheDir == null && cfg.cacheDir() != null) {
            store.cacheDir = Path.of(cfg.cacheDir());
        }
        if (store.gcRootsDir == null && cfg.gcrootsDir() != null) {
            store.gcRootsDir = Path.of(cfg.gcrootsDir());
        }
    }

    /** One log line per patched file; problems as warnings. */
    private static final class LogListener implements WatchDaemon.Listener {
        @Override
        public void fileDone(Fixer.FileResult r) {
            String file = FileNames.shown(r.file());
            switch (r.outcome()) {
                case PATCHED -> LOG.info("patched {}: {}", file, String.join("; ", r.changes()));
                case UNRESOLVED -> LOG.warn("{} {} but {} stay unresolved: {}", r.changes().isEmpty() ? "left" : "patched",
                        file, r.plan().unresolved().size(), r.plan().unresolved().stream()
                                .map(n -> n.name() + " (" + n.reason() + ")").toList());
                case FAILED -> LOG.warn("cannot fix {}: {}", file, FileNames.oneLine(r.error()));
                case SKIPPED -> {
                    if (r.warnings().isEmpty()) {
                        LOG.debug("skipped {}: {}", file, r.plan().note());
                    } else {
                        LOG.warn("left {} alone: {}", file, FileNames.oneLine(r.warnings().getFirst()));
                    }
                    return;
                }
                default -> LOG.debug("{}: {}", r.outcome(), file);
            }
            for (String warning : r.warnings()) {
                LOG.warn("{}: {}", file, FileNames.oneLine(warning));
            }
        }

        @Override
        public void treeWatched(Path tree) {
            LOG.info("watching {}", tree);
        }

        @Override
        public void treeGone(Path tree) {
            LOG.info("{} is gone; watching for it to come back", tree);
        }

        @Override
        public void warning(String message) {
            LOG.warn(message);
        }

        @Override
        public void storeChanged() {
            LOG.info("the store changed; re-verifying watched files");
        }
    }
}
