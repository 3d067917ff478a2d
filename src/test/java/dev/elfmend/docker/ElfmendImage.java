package dev.elfmend.docker;

import dev.elfmend.testing.DockerEngines;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.opentest4j.TestAbortedException;

/**
 * elfmend's image, made without a registry the way container/Dockerfile makes it: a NixOS-like root with
 * a real store ({@link NixRoot}), a jlink'ed runtime patched by elfmend itself on the host
 * ({@code fix --root ROOTFS ROOTFS/opt/elfmend/jre}), the jar and the container scripts; imported with
 * {@code docker import}. Built once per test JVM. All image names live here.
 */
final class ElfmendImage {

    /** elfmend's own image: entrypoint runs the watcher, then the command. */
    static final String BASE = "elfmend-it/elfmend:latest";
    /** The build-time example built from {@code container/examples/build-fix}. */
    static final String APP_OK = "elfmend-it/app-fixed:latest";
    static final String APP_UNRESOLVED = "elfmend-it/app-unresolved:latest";
    /** The devcontainer example built from {@code container/examples/devcontainer/.devcontainer}. */
    static final String DEVCONTAINER = "elfmend-it/devcontainer:latest";

    static final String ENTRYPOINT = "/opt/elfmend/bin/entrypoint.sh";
    static final String PATH = "/usr/local/bin:/bin";

    private static boolean built;
    private static Throwable failed;

    private ElfmendImage() {
    }

    /** The runnable jar the build made (failsafe passes its path). */
    static Path jar() {
        Path jar = Path.of(System.getProperty("elfmend.jar", "target/elfmend.jar"));
        Requirements.require(Files.isRegularFile(jar), "runnable jar " + jar, "run ./mvnw verify (package comes first)");
        return jar;
    }

    /** The repository's container/ directory. */
    static Path containerDir() {
        return Path.of(System.getProperty("elfmend.containerDir", "container")).toAbsolutePath();
    }

    /** Builds and imports {@link #BASE} (once per test JVM; {@code work} may go away afterwards). */
    static synchronized void build(Path work) {
        if (built) {
            return;
        }
        DockerEngines.require();
        Requirements.requireRoot();
        if (failed != null) {
            throw new AssertionError("building the image failed for an earlier test", failed);
        }
        try {
            assemble(work);
        } catch (TestAbortedException e) {
            throw e; // a missing tool: skipped (or failed under requireAll), decided again next time
        } catch (RuntimeException | AssertionError e) {
            failed = e;
            throw e;
        }
        built = true;
    }

    private static void assemble(Path work) {
        NixRoot nix = NixRoot.create(work.resolve("image"));
        Path r = nix.root();
        try {
            installBusyboxApplets(r);
            Files.createDirectories(r.resolve("root"));
            Files.createDirectories(r.resolve("etc"));
            Files.writeString(r.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            Files.writeString(r.resolve("etc/group"), "root:x:0:\n");
            Files.setPosixFilePermissions(r.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.createDirectories(r.resolve("var/cache/elfmend"));
            Files.createDirectories(r.resolve("var/lib/elfmend"));
            Path opt = Files.createDirectories(r.resolve("opt/elfmend/bin"));
            jlink(r.resolve("opt/elfmend/jre"));
            Files.copy(jar(), r.resolve("opt/elfmend/elfmend.jar"), StandardCopyOption.REPLACE_EXISTING);
            for (String script : List.of("elfmend", "entrypoint.sh")) {
                Path target = opt.resolve(script);
                Files.copy(containerDir().resolve(script), target, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.createDirectories(r.resolve("usr/local/bin"));
            Files.createSymbolicLink(r.resolve("usr/local/bin/elfmend"), Path.of("/opt/elfmend/bin/elfmend"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot assemble the image root in " + r, e);
        }
        // Dogfooding: the FHS runtime is made to run against the root's store by elfmend itself. Not
        // --strict: libjava.so and friends need libjvm.so from lib/server/, which no store path provides;
        // the launcher has loaded it by then. Starting the runtime in the root is the real check.
        elfmend(Duration.ofMinutes(3), "fix", "--root", r.toString(), "--cache-dir",
                work.resolve("host-cache").toString(), r.resolve("opt/elfmend/jre").toString()).assertOk();
        Path tar = work.resolve("rootfs.tar");
        Processes.command("tar", "-C", r.toString(), "-cf", tar.toString(), ".").timeout(Duration.ofMinutes(3)).runOk();
        DockerEngines.dockerOk("import", "--change", "ENTRYPOINT [\"" + ENTRYPOINT + "\"]",
                "--change", "CMD [\"/bin/sh\"]", "--change", "ENV PATH=" + PATH, "--change", "ENV HOME=/root",
                tar.toString(), BASE);
        // Not checked with chroot: without /proc the loader cannot expand $ORIGIN (java finds libjli.so by it).
        Processes.Result version = DockerEngines.docker(Duration.ofMinutes(1), "run", "--rm", "--network", "none",
                "--entrypoint", "/opt/elfmend/bin/elfmend", BASE, "--version");
        if (version.exit() != 0) {
            throw new AssertionError("the patched runtime does not start in the image: " + version);
        }
    }

    /**
     * {@link #BASE} as a {@code docker save} archive in {@code work}, for loading into another engine
     * ({@link PrivateEngine}) without rebuilding it. Call {@link #build} first.
     */
    static Path saved(Path work) {
        Path tar = work.resolve("elfmend-image.tar");
        DockerEngines.dockerOk("save", "-o", tar.toString(), BASE);
        return tar;
    }

    /** Runs the host's elfmend (the jar on the test JVM's runtime). */
    static Outcome elfmend(Duration timeout, String... args) {
        List<String> line = new java.util.ArrayList<>(List.of(javaCommand(), "-jar", jar().toString()));
        line.addAll(List.of(args));
        Processes.Command command = Processes.command(line).timeout(timeout);
        return new Outcome(command.commandLine(), command.run());
    }

    static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A finished elfmend run, with its command line for messages. */
    record Outcome(String commandLine, Processes.Result result) {
        Outcome assertOk() {
            if (result.exit() != 0) {
                throw new AssertionError("exit " + result.exit() + " from " + commandLine + "\nstdout: "
                        + result.out() + "\nstderr: " + result.err());
            }
            return this;
        }
    }

    private static void jlink(Path output) {
        try {
            String modules = Files.readString(containerDir().resolve("jre-modules")).trim();
            Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
            Processes.command(jlink.toString(), "--add-modules", modules, "--strip-debug", "--no-man-pages",
                    "--no-header-files", "--output", output.toString()).timeout(Duration.ofMinutes(3)).runOk();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void installBusyboxApplets(Path r) throws IOException {
        for (String applet : Processes.runOk("/bin/busybox", "--list").out().split("\\s+")) {
            Path link = r.resolve("bin").resolve(applet);
            if (!applet.isBlank() && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of("busybox"));
            }
        }
    }
}
