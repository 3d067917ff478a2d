package dev.elfmend.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;
import org.opentest4j.TestAbortedException;

/**
 * Decides what a test does when something outside the JVM is missing: skip it locally, fail it in CI
 * (system property {@code elfmend.requireAll=true}), so CI never passes by skipping the real part.
 */
public final class Requirements {

    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("gcc", "gcc"),
            Map.entry("readelf", "binutils"),
            Map.entry("objdump", "binutils"),
            Map.entry("eu-readelf", "elfutils"),
            Map.entry("patchelf", "patchelf"),
            Map.entry("busybox", "busybox-static"),
            Map.entry("nix-store", "nix-bin"),
            Map.entry("docker", "docker.io"),
            Map.entry("dockerd", "docker.io"),
            Map.entry("npm", "npm"),
            Map.entry("file", "file"),
            Map.entry("setcap", "libcap2-bin"),
            Map.entry("getcap", "libcap2-bin"),
            Map.entry("debootstrap", "debootstrap"),
            Map.entry("tar", "tar"));

    private static final Map<String, Boolean> ON_PATH = new ConcurrentHashMap<>();

    private Requirements() {
    }

    /** True when CI asked for every test to run for real. */
    public static boolean requireAll() {
        return Boolean.getBoolean("elfmend.requireAll");
    }

    /** Skips (or, under requireAll, fails) the test unless the executable {@code name} is on PATH. */
    public static void requireTool(String name) {
        String fix = "install " + PACKAGES.getOrDefault(name, name) + " (apt-get install -y "
                + PACKAGES.getOrDefault(name, name) + ")";
        if (!ON_PATH.computeIfAbsent(name, Requirements::onPath)) {
            unavailable("required tool " + name + " is missing: " + fix);
        }
    }

    /** Skips (or, under requireAll, fails) the test unless {@code available}; the message names what and how to fix it. */
    public static void require(boolean available, String what, String howToFix) {
        if (!available) {
            unavailable("required " + what + " is not available: " + howToFix);
        }
    }

    /** Skips (or, under requireAll, fails) the test unless it runs as root (chroot, file ownership). */
    public static void requireRoot() {
        require(isRoot(), "root", "run the tests as root (CI does)");
    }

    /**
     * Runs {@code fetch}, which downloads something from the network; when it fails the test is skipped
     * (or, under requireAll, fails) with {@code description} and the cause.
     */
    public static <T> T requireNetworkArtifact(String description, Fetch<T> fetch) {
        try {
            return fetch.get();
        } catch (TestAbortedException e) {
            throw e;
        } catch (Exception | AssertionError e) {
            String message = "could not fetch " + description + " (network needed once, then cached under "
                    + RegistryBinaries.cacheDirectory() + "): " + e.getMessage();
            if (requireAll()) {
                throw new AssertionError(message, e);
            }
            Assumptions.abort(message);
            throw new AssertionError("unreachable");
        }
    }

    /** True when the effective user id is 0. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** A download or other network fetch that may fail. */
    @FunctionalInterface
    public interface Fetch<T> {
        T get() throws Exception;
    }

    private static void unavailable(String message) {
        if (requireAll()) {
            throw new AssertionError(message);
        }
        Assumptions.abort(message + " (test skipped; CI runs it with -Delfmend.requireAll=true)");
    }

    private static boolean onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }
}
