package dev.elfmend.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;

/**
 * Command lines that run elfmend in a JVM of its own, so a test can kill it for real: the runnable jar
 * when the build names it (system property {@code elfmend.jar}, which failsafe sets and
 * {@code -Delfmend.jar=...} passes to surefire), otherwise the test class path. JVM flags come from
 * the launcher script or from a systemd unit, read from the files users run.
 */
public final class ElfmendJvm {

    private static final Path LAUNCHER = Path.of("src", "main", "scripts", "elfmend").toAbsolutePath();
    private static final Path UNITS = Path.of("systemd").toAbsolutePath();
    private static final Pattern UNIT_OPTIONS = Pattern.compile("(?m)^Environment=\"ELFMEND_JAVA_OPTS=(.*)\"$");

    private ElfmendJvm() {
    }

    /** {@code java JVM-OPTIONS (-jar JAR | -cp CLASSPATH dev.elfmend.cli.Main) ARGS}. */
    public static List<String> command(List<String> jvmOptions, List<String> args) {
        List<String> line = new ArrayList<>();
        line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        line.addAll(jvmOptions);
        Path jar = jar();
        if (jar != null) {
            line.addAll(List.of("-jar", jar.toString()));
        } else {
            line.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.elfmend.cli.Main"));
        }
        line.addAll(args);
        return line;
    }

    /** What {@link #command} runs, for test output. */
    public static String describe() {
        Path jar = jar();
        return jar != null ? "java -jar " + jar : "java -cp <test class path> dev.elfmend.cli.Main";
    }

    /**
     * The flags the launcher script gives every command (serial GC, C1 only, native access), plus, when
     * running the jar, the class-data archive it keeps per jar, here at {@code archive}: short runs start as
     * fast as users see them. (A class path with directories cannot be archived: the JVM would exit with 1.)
     */
    public static List<String> launcherOptions(Path archive) {
        String script = read(LAUNCHER);
        for (String flag : List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-XX:+AutoCreateSharedArchive")) {
            Assertions.assertTrue(script.contains(flag), LAUNCHER + " no longer passes " + flag + "; update this list");
        }
        List<String> options = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED"));
        if (jar() != null) {
            options.addAll(List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive,
                    "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
        }
        return options;
    }

    /**
     * The daemon's JVM flags as {@code systemd/<unit>} sets them ({@code ELFMEND_JAVA_OPTS}), with the
     * launcher's native-access flag; {@code heapLimit} (e.g. {@code -Xmx128m}), when not null, replaces the unit's -Xmx.
     */
    public static List<String> unitOptions(String unit, String heapLimit) {
        Path file = UNITS.resolve(unit);
        Matcher m = UNIT_OPTIONS.matcher(read(file));
        Assertions.assertTrue(m.find(), file + " has no Environment=\"ELFMEND_JAVA_OPTS=...\" line");
        List<String> options = new ArrayList<>(Arrays.asList(m.group(1).trim().split("\\s+")));
        if (heapLimit != null) {
            Assertions.assertTrue(options.removeIf(o -> o.startsWith("-Xmx")), file + " sets no -Xmx to replace");
            options.add(heapLimit);
        }
        options.add("--enable-native-access=ALL-UNNAMED");
        return options;
    }

    private static Path jar() {
        String configured = System.getProperty("elfmend.jar");
        if (configured == null || configured.isBlank()) {
            return null;
        }
        Path jar = Path.of(configured).toAbsolutePath();
        Assertions.assertTrue(Files.isRegularFile(jar), "elfmend.jar=" + configured + " does not exist; build it with "
                + "./mvnw -B package -DskipTests or leave the property unset to run from the class path");
        return jar;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + "; tests run from the project directory", e);
        }
    }
}
