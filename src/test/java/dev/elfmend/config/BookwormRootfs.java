package dev.elfmend.config;

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

/**
 * A Debian 12 root file system that boots with systemd, made once by {@code debootstrap} from the
 * mirror this machine's apt uses and kept as a tar in the test cache, so later runs need no network.
 */
final class BookwormRootfs {

    static final String SUITE = "bookworm";
    /**
     * systemd as init, D-Bus for systemctl and loginctl, and pam_systemd, which gives a lingering user's
     * service manager its XDG_RUNTIME_DIR (without it user@UID.service exits at once).
     */
    static final List<String> PACKAGES = List.of("systemd", "systemd-sysv", "dbus", "libpam-systemd");

    private static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";
    private static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(20);

    private BookwormRootfs() {
    }

    /**
     * The cached tar (numeric owners), made with debootstrap when it is missing. debootstrap works beside
     * the cache, on disk: it runs programs in the new root and makes device nodes, which a tmpfs /tmp
     * mounted noexec or nodev would refuse.
     */
    static synchronized Path tarball() {
        Path target = RegistryBinaries.cacheDirectory().resolve("debian")
                .resolve(SUITE + "-minbase+" + String.join("+", PACKAGES) + ".tar");
        if (Files.isRegularFile(target)) {
            return target;
        }
        Requirements.requireRoot();
        Requirements.requireTool("debootstrap");
        String mirror = hostMirror();
        return Requirements.requireNetworkArtifact("Debian " + SUITE + " with debootstrap from " + mirror, () -> {
            Files.createDirectories(target.getParent());
            Path dir = Files.createTempDirectory(target.getParent(), ".debootstrap-");
            Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try {
                Processes.command("debootstrap", "--variant=minbase", "--include=" + String.join(",", PACKAGES),
                        SUITE, dir.toString(), mirror).timeout(DEBOOTSTRAP_TIMEOUT).runOk();
                Processes.command("tar", "--numeric-owner", "-C", dir.toString(), "-cf", temp.toString(), ".")
                        .timeout(Duration.ofMinutes(5)).runOk();
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return target;
            } finally {
                Files.deleteIfExists(temp);
                Processes.command("rm", "-rf", dir.toString()).timeout(Duration.ofMinutes(2)).run();
            }
        });
    }

    /** Unpacks the cached tar into {@code dir}, owners and device nodes included (needs root). */
    static void unpack(Path tarball, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Processes.command("tar", "--numeric-owner", "-C", dir.toString(), "-xf", tarball.toString())
                .timeout(Duration.ofMinutes(5)).runOk();
    }

    /**
     * The Debian archive this machine's apt uses for {@value #SUITE} (deb822 {@code .sources} or one-line
     * lists), so debootstrap reaches the same, reachable, mirror; {@value #DEFAULT_MIRROR} when none says.
     */
    static String hostMirror() {
        List<Path> lists = new ArrayList<>(List.of(Path.of("/etc/apt/sources.list")));
        try (Stream<Path> files = Files.list(Path.of("/etc/apt/sources.list.d"))) {
            files.sorted().forEach(lists::add);
        } catch (IOException e) {
            // No directory of lists: sources.list alone, or the default.
        }
        for (Path list : lists) {
            String mirror = mirrorIn(list);
            if (mirror != null) {
                return mirror;
            }
        }
        return DEFAULT_MIRROR;
    }

    private static String mirrorIn(Path list) {
        List<String> lines;
        try {
            lines = Files.isRegularFile(list) ? Files.readAllLines(list) : List.of();
        } catch (IOException e) {
            return null;
        }
        List<String> uris = List.of();
        List<String> suites = List.of();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty()) {
                String found = debianUri(uris, suites);
                if (found != null) {
                    return found;
                }
                uris = List.of();
                suites = List.of();
            } else if (line.startsWith("URIs:")) {
                uris = words(line.substring(5));
            } else if (line.startsWith("Suites:")) {
                suites = words(line.substring(7));
            } else if (line.startsWith("deb ")) {
                List<String> w = new ArrayList<>(words(line.replaceFirst("\\[[^]]*]", "")));
                if (w.size() >= 3) {
                    String found = debianUri(List.of(w.get(1)), List.of(w.get(2)));
                    if (found != null) {
                        return found;
                    }
                }
            }
        }
        return debianUri(uris, suites);
    }

    private static String debianUri(List<String> uris, List<String> suites) {
        if (!suites.contains(SUITE)) {
            return null;
        }
        return uris.stream().filter(u -> u.startsWith("http")).findFirst().orElse(null);
    }

    private static List<String> words(String text) {
        return Stream.of(text.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }
}
