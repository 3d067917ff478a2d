package dev.elfmend.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real foreign binaries from npm and Maven Central (the kind VS Code Server downloads), fetched once into
 * the test cache ({@code elfmend.testCache}, default {@code .test-cache}). A fetch that fails skips the
 * test, or fails it under requireAll. Entries appear by atomic rename, so concurrent JVMs can share a cache.
 */
public final class RegistryBinaries {

    /** The last protoc whose Linux executables are dynamically linked (3.22 and later are static). */
    public static final String PROTOC_DYNAMIC = "3.21.12";
    /** A recent protoc; its Linux executables are statically linked. */
    public static final String PROTOC_STATIC = "4.28.3";
    /** protoc classifiers published for Linux. */
    public static final List<String> PROTOC_CLASSIFIERS =
            List.of("linux-x86_64", "linux-aarch_64", "linux-ppcle_64", "linux-s390_64", "linux-x86_32");
    /** Architectures of the npm {@code node-linux-<arch>} packages. */
    public static final List<String> NODE_ARCHES = List.of("x64", "arm64", "s390x", "ppc64le");

    private static final String MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2/";
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(10);

    private RegistryBinaries() {
    }

    public static Path cacheDirectory() {
        String configured = System.getProperty("elfmend.testCache");
        return (configured == null || configured.isBlank() ? Path.of(".test-cache") : Path.of(configured))
                .toAbsolutePath().normalize();
    }

    /**
     * {@code bin/node} from the npm package {@code node-linux-<arch>}: Node 22 for x64 and arm64; s390x and
     * ppc64le were last published as 20.x, so those are Node 20.
     */
    public static Path nodeLinux(String arch) {
        String major = switch (arch) {
            case "x64", "arm64" -> "22";
            case "s390x", "ppc64le" -> "20";
            default -> throw new IllegalArgumentException("no node-linux package for " + arch + "; use " + NODE_ARCHES);
        };
        return npmPackage("node-linux-" + arch, major).resolve("bin/node");
    }

    /** {@code watcher.node} from {@code @parcel/watcher-linux-x64-glibc} (a Node addon; no RUNPATH). */
    public static Path parcelWatcher() {
        return npmPackage("@parcel/watcher-linux-x64-glibc", "2.6.0").resolve("watcher.node");
    }

    /** {@code lib/libvips-cpp.so.*} from {@code @img/sharp-libvips-linux-x64} (RUNPATH {@code $ORIGIN/}). */
    public static Path sharpLibvips() {
        Path lib = npmPackage("@img/sharp-libvips-linux-x64", "1.3.4").resolve("lib");
        try (Stream<Path> files = Files.list(lib)) {
            return files.filter(f -> f.getFileName().toString().startsWith("libvips-cpp.so")).findFirst()
                    .orElseThrow(() -> new AssertionError("no libvips-cpp.so.* in " + lib));
        } catch (IOException e) {
            throw new AssertionError("cannot list " + lib, e);
        }
    }

    /**
     * The root of the npm package {@code name} at {@code version} (exact or a range such as "22"), i.e. the
     * tarball's {@code package/} directory, extracted under {@code <cache>/npm/}.
     */
    public static synchronized Path npmPackage(String name, String version) {
        Path target = cacheDirectory().resolve("npm").resolve(name.replace('/', '+') + "@" + version);
        if (Files.isDirectory(target.resolve("package"))) {
            return target.resolve("package");
        }
        Requirements.requireTool("npm");
        Requirements.requireTool("tar");
        return Requirements.requireNetworkArtifact("npm package " + name + "@" + version, () -> {
            Files.createDirectories(target.getParent());
            Path work = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".");
            try {
                Processes.command("npm", "pack", name + "@" + version, "--pack-destination", work.toString(),
                                "--loglevel=error")
                        .directory(work).timeout(DOWNLOAD_TIMEOUT).runOk();
                Path tarball = onlyTarball(work);
                Path extracted = Files.createDirectory(work.resolve("extracted"));
                Processes.command("tar", "-xzf", tarball.toString(), "-C", extracted.toString())
                        .timeout(DOWNLOAD_TIMEOUT).runOk();
                publishDirectory(extracted, target);
                return target.resolve("package");
            } finally {
                deleteTree(work);
            }
        });
    }

    /** The protoc executable {@value #PROTOC_DYNAMIC} for a classifier in {@link #PROTOC_CLASSIFIERS}. */
    public static Path protoc(String classifier) {
        return protoc(PROTOC_DYNAMIC, classifier);
    }

    /** {@code com.google.protobuf:protoc:<version>:exe:<classifier>} from Maven Central. */
    public static Path protoc(String version, String classifier) {
        return mavenArtifact("com.google.protobuf", "protoc", version, classifier, "exe");
    }

    /**
     * One artifact from Maven Central, checked against its published SHA-1, cached under {@code <cache>/maven/};
     * an {@code exe} is made executable.
     */
    public static synchronized Path mavenArtifact(String groupId, String artifactId, String version,
                                                  String classifier, String extension) {
        String fileName = artifactId + "-" + version + (classifier.isEmpty() ? "" : "-" + classifier) + "." + extension;
        String relative = groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + fileName;
        Path target = cacheDirectory().resolve("maven").resolve(relative);
        if (Files.isRegularFile(target)) {
            return target;
        }
        String coordinates = groupId + ":" + artifactId + ":" + version + ":" + extension + ":" + classifier;
        return Requirements.requireNetworkArtifact("Maven Central artifact " + coordinates, () -> {
            Files.createDirectories(target.getParent());
            Path temp = Files.createTempFile(target.getParent(), "." + fileName + ".", ".tmp");
            try (HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(30)).build()) {
                URI uri = URI.create(MAVEN_CENTRAL + relative);
                download(client, uri, temp);
                String expected = new String(download(client, URI.create(uri + ".sha1")), StandardCharsets.US_ASCII)
                        .trim().split("\\s+")[0];
                String actual = sha1(temp);
                if (!actual.equalsIgnoreCase(expected)) {
                    throw new IOException("SHA-1 mismatch for " + uri + ": got " + actual + ", expected " + expected);
                }
                if (extension.equals("exe") && !temp.toFile().setExecutable(true, false)) {
                    throw new IOException("cannot make " + temp + " executable");
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return target;
            } finally {
                Files.deleteIfExists(temp);
            }
        });
    }

    private static void download(HttpClient client, URI uri, Path into) throws IOException, InterruptedException {
        HttpResponse<Path> response = client.send(HttpRequest.newBuilder(uri).timeout(DOWNLOAD_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofFile(into));
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + " for " + uri);
        }
    }

    private static byte[] download(HttpClient client, URI uri) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri).timeout(DOWNLOAD_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + " for " + uri);
        }
        return response.body();
    }

    private static String sha1(Path file) throws IOException {
        return Digests.hex("SHA-1", file);
    }

    private static Path onlyTarball(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> tarballs = files.filter(f -> f.getFileName().toString().endsWith(".tgz")).toList();
            if (tarballs.size() != 1) {
                throw new IOException("expected one .tgz from npm pack in " + dir + ", found " + tarballs);
            }
            return tarballs.getFirst();
        }
    }

    /** Renames {@code dir} to {@code target}; if another JVM got there first, its copy is as good as ours. */
    private static void publishDirectory(Path dir, Path target) throws IOException {
        try {
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isDirectory(target.resolve("package"))) {
                throw e;
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
