package dev.elfmend.docker;

import dev.elfmend.testing.Awaits;
import dev.elfmend.testing.DockerEngines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.config.ConfigException;
import dev.elfmend.config.JsonReader;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 4: the devcontainer example (container/examples/devcontainer) used the way VS Code uses it.
 * Its Dockerfile is built on elfmend's image; the container runs with the settings devcontainer.json
 * gives (read from the file, comments and all), on the command line the devcontainer CLI builds; then
 * VS Code's first connect: the server tarball is extracted into a fresh directory under
 * {@code ~/.vscode-server/bin}, renamed into place, and the server is started at once. VS Code does
 * not retry that start, so neither does the test.
 */
class DevcontainerIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** The devcontainer CLI's command when it keeps the container alive (singleContainer.ts, abridged). */
    private static final String CLI_SCRIPT = "echo Container started\ntrap \"exit 0\" 15\nexec \"$@\"\n"
            + "while sleep 1 & wait $!; do :; done";

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    /** Per test, not per class, so that a missing engine shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        ElfmendImage.build(shared);
    }

    @Test
    void vscodeServerStartsOnTheFirstConnect() throws Exception {
        Path workspace = work.resolve("workspace");
        Processes.runOk("cp", "-a", ElfmendImage.containerDir().resolve("examples/devcontainer").toString(),
                workspace.toString());
        DevcontainerConfig config = DevcontainerConfig.read(workspace.resolve(".devcontainer/devcontainer.json"));
        DockerEngines.dockerOk("build", "--network", "none", "--build-arg", "BASE=" + ElfmendImage.BASE,
                "-f", config.dockerfilePath().toString(), "-t", ElfmendImage.DEVCONTAINER, config.contextDir().toString());
        Path tarball = serverTarball();

        String id = run(config, workspace);
        try {
            Awaits.until("the container to start", PATIENCE, () -> logs(id).contains("Container started"));
            String user = config.remoteUser() == null ? "root" : config.remoteUser();
            String home = exec(id, user, "sh", "-c", "echo $HOME").out().trim();
            String bin = home + "/.vscode-server/bin/";
            String staging = bin + NixRoot.COMMIT + "_" + System.currentTimeMillis();
            exec(id, user, "mkdir", "-p", staging);

            long start = System.nanoTime();
            extract(id, user, tarball, staging);
            LocalTime extracted = LocalTime.now(ZoneOffset.UTC);
            long extractMillis = (System.nanoTime() - start) / 1_000_000;
            exec(id, user, "mv", "-n", staging, bin + NixRoot.COMMIT);
            Processes.Result first = docker("exec", "-u", user, id, bin + NixRoot.COMMIT + "/bin/code-server", "--version");

            String log = logs(id);
            System.out.println("extraction took " + extractMillis + " ms; node patched "
                    + patchedBeforeExtractionEnded(log, extracted) + "; container log:\n" + log);
            assertEquals(0, first.exit(), "the server's first start:\n" + first.err() + "\ncontainer log:\n" + log);
            assertTrue(first.out().startsWith("server v22."), first.out());
            assertTrue(log.contains("patched " + staging + "/node"), "the entrypoint's watcher patched node:\n" + log);
            assertFalse(log.contains(" WARN "), log);
        } finally {
            docker("rm", "-f", id);
        }
    }

    /** {@code docker run} as the devcontainer CLI builds it from the configuration (detached here). */
    private String run(DevcontainerConfig config, Path workspace) throws ConfigException {
        List<String> line = new ArrayList<>(List.of("run", "-d", "--sig-proxy=false",
                "--mount", "type=bind,source=" + workspace + ",target=/workspaces/" + workspace.getFileName(),
                "-l", "devcontainer.local_folder=" + workspace, "-l", "devcontainer.config_file=" + config.file(),
                // This machine's engine has no bridge network; VS Code would use the default one.
                "--network", "none"));
        config.containerEnv().forEach((k, v) -> line.addAll(List.of("-e", k + "=" + v)));
        if (config.containerUser() != null) {
            line.addAll(List.of("-u", config.containerUser()));
        }
        line.addAll(config.runArgs());
        line.addAll(List.of("--entrypoint", "/bin/sh", ElfmendImage.DEVCONTAINER, "-c", CLI_SCRIPT, "-"));
        if (!config.overrideCommand()) {
            line.addAll(imageList("Entrypoint"));
            line.addAll(imageList("Cmd"));
        }
        return DockerEngines.dockerOk(line.toArray(String[]::new)).out().trim();
    }

    private static List<String> imageList(String field) throws ConfigException {
        String json = DockerEngines.dockerOk("image", "inspect", "-f", "{{json .Config." + field + "}}",
                ElfmendImage.DEVCONTAINER).out().trim();
        return JsonReader.parse(json) instanceof List<?> l ? l.stream().map(String.class::cast).toList() : List.of();
    }

    /**
     * A tarball shaped like VS Code's server: node first, then a launcher script and thousands of
     * JavaScript files (~150 MB), as in WatchCommandTest.
     */
    private Path serverTarball() throws IOException {
        Path pkg = Files.createDirectories(work.resolve("server"));
        Files.copy(RegistryBinaries.nodeLinux("x64"), pkg.resolve("node"));
        Path launcher = Files.createDirectories(pkg.resolve("bin")).resolve("code-server");
        Files.writeString(launcher, "#!/bin/sh\nROOT=$(dirname \"$(dirname \"$(readlink -f \"$0\")\")\")\n"
                + "exec \"$ROOT/node\" \"$ROOT/out/server-main.js\" \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(Files.createDirectories(pkg.resolve("out")).resolve("server-main.js"),
                "console.log('server ' + process.version);\n");
        byte[] chunk = "module.exports = 1;\n".repeat(2500).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 3000; i++) {
            Path f = pkg.resolve("node_modules/m" + (i % 50) + "/f" + i + ".js");
            Files.createDirectories(f.getParent());
            Files.write(f, chunk);
        }
        Path tarball = work.resolve("vscode-server-linux-x64.tar");
        Processes.command("tar", "-cf", tarball.toString(), "-C", pkg.toString(), "node", "bin", "node_modules", "out")
                .timeout(Duration.ofMinutes(2)).runOk();
        return tarball;
    }

    /** {@code tar -xf -} inside the container with the tarball on its stdin, as VS Code installs its server. */
    private void extract(String id, String user, Path tarball, String dir) throws IOException, InterruptedException {
        Path output = work.resolve("tar.out");
        Process tar = new ProcessBuilder("docker", "exec", "-i", "-u", user, id, "tar", "-xf", "-", "-C", dir)
                .redirectInput(tarball.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!tar.waitFor(5, TimeUnit.MINUTES)) {
            tar.destroyForcibly();
            throw new AssertionError("tar did not finish within 5 minutes");
        }
        assertEquals(0, tar.exitValue(), "tar in the container: " + Files.readString(output));
    }

    /** How long before (or after) the end of the extraction the watcher's log line about node says it patched it. */
    private static String patchedBeforeExtractionEnded(String log, LocalTime extracted) {
        Matcher m = Pattern.compile("(?m)^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) INFO  patched \\S+/node:").matcher(log);
        if (!m.find()) {
            return "(no log line)";
        }
        long millis = LocalTime.parse(m.group(1)).until(extracted, ChronoUnit.MILLIS);
        return millis >= 0 ? millis + " ms before the extraction ended" : -millis + " ms after the extraction ended";
    }

    private static Processes.Result exec(String id, String user, String... command) {
        List<String> line = new ArrayList<>(List.of("exec", "-u", user, id));
        line.addAll(List.of(command));
        return DockerEngines.dockerOk(line.toArray(String[]::new));
    }

    private static Processes.Result docker(String... args) {
        return DockerEngines.docker(Duration.ofMinutes(2), args);
    }

    private static String logs(String id) {
        Processes.Result r = docker("logs", id);
        return r.out() + r.err();
    }
}
