package dev.elfmend.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's configuration, as the NixOS and home-manager modules write it (JSON). Every key is
 * optional; unknown keys are errors, so a typo in a module option never passes silently.
 *
 * @param trees directories to watch (absolute; {@code ~/} is the home directory)
 * @param extraLibraries glob -> libraries loaded with dlopen by matching files
 * @param allowPrivileged also patch set-user-ID, set-group-ID and capability-carrying executables
 * @param allowHardLinks also patch files with other hard links (this name is split from them)
 */
public record ElfmendConfig(List<String> trees, String root, String storeDir, List<String> prefer,
                            List<String> profiles, List<ExtraLibraries> extraLibraries, String stateDir,
                            String cacheDir, String gcrootsDir, long reverifyIntervalSeconds, int workers,
                            long settleMillis, boolean allowPrivileged, boolean allowHardLinks) {

    /** Files matching {@code glob} load {@code libraries} with dlopen. */
    public record ExtraLibraries(String glob, List<String> libraries) {
        public ExtraLibraries {
            libraries = List.copyOf(libraries);
        }
    }

    static final Set<String> KEYS = Set.of("trees", "root", "storeDir", "prefer", "profiles", "extraLibraries",
            "stateDir", "cacheDir", "gcrootsDir", "reverifyIntervalSeconds", "workers", "settleMillis",
            "allowPrivileged", "allowHardLinks");

    /** Trees watched when none are configured: where remote editors put their servers. */
    public static final List<String> DEFAULT_TREES = List.of("~/.vscode-server", "~/.vscode-server-insiders",
            "~/.vscode-server-oss", "~/.vscodium-server", "~/.cursor-server", "~/.windsurf-server", "~/.vscode/cli",
            "/vscode/vscode-server");

    public ElfmendConfig {
        trees = List.copyOf(trees);
        prefer = List.copyOf(prefer);
        profiles = List.copyOf(profiles);
        extraLibraries = List.copyOf(extraLibraries);
    }

    public static ElfmendConfig defaults() {
        return new ElfmendConfig(List.of(), "/", "/nix/store", List.of(), List.of(), List.of(), null, null, null,
                600, 2, 25, false, false);
    }

    public static ElfmendConfig load(Path file) throws IOException, ConfigException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return parse(text);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    public static ElfmendConfig parse(String json) throws ConfigException {
        Object value = JsonReader.parse(json);
        if (!(value instanceof Map<?, ?> map)) {
            throw new ConfigException("the configuration must be a JSON object");
        }
        for (Object key : map.keySet()) {
            if (!KEYS.contains(key)) {
                throw new ConfigException("unknown key \"" + key + "\" (known: " + String.join(", ",
                        KEYS.stream().sorted().toList()) + ")");
            }
        }
        ElfmendConfig d = defaults();
        List<ExtraLibraries> extras = new ArrayList<>();
        Object rawExtras = map.get("extraLibraries");
        if (rawExtras != null) {
            if (!(rawExtras instanceof List<?> list)) {
                throw new ConfigException("\"extraLibraries\" must be an array of {\"glob\", \"libraries\"} objects");
            }
            for (Object item : list) {
                if (!(item instanceof Map<?, ?> m) || !(m.get("glob") instanceof String glob)
                        || !m.keySet().stream().allMatch(k -> k.equals("glob") || k.equals("libraries"))) {
                    throw new ConfigException("each \"extraLibraries\" entry must be {\"glob\": \"...\", "
                            + "\"libraries\": [\"...\"]}");
                }
                extras.add(new ExtraLibraries(glob, strings(m.get("libraries"), "extraLibraries[].libraries")));
            }
        }
        List<String> trees = strings(map.get("trees"), "trees");
        for (String t : trees) {
            if (!t.startsWith("/") && !t.startsWith("~/")) {
                throw new ConfigException("tree \"" + t + "\" must be an absolute path or start with ~/");
            }
        }
        String root = string(map, "root", d.root());
        String storeDir = string(map, "storeDir", d.storeDir());
        if (!root.startsWith("/") || !storeDir.startsWith("/")) {
            throw new ConfigException("\"root\" and \"storeDir\" must be absolute paths");
        }
        long interval = number(map, "reverifyIntervalSeconds", d.reverifyIntervalSeconds(), 0, 86_400 * 7);
        int workers = (int) number(map, "workers", d.workers(), 1, 64);
        long settle = number(map, "settleMillis", d.settleMillis(), 0, 60_000);
        return new ElfmendConfig(trees, root, storeDir, strings(map.get("prefer"), "prefer"),
                strings(map.get("profiles"), "profiles"), extras, string(map, "stateDir", null),
                string(map, "cacheDir", null), string(map, "gcrootsDir", null), interval, workers, settle,
                bool(map, "allowPrivileged"), bool(map, "allowHardLinks"));
    }

    private static boolean bool(Map<?, ?> map, String key) throws ConfigException {
        Object v = map.get(key);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw new ConfigException("\"" + key + "\" must be true or false");
        }
        return b;
    }

    private static List<String> strings(Object raw, String key) throws ConfigException {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list) || !list.stream().allMatch(x -> x instanceof String)) {
            throw new ConfigException("\"" + key + "\" must be an array of strings");
        }
        return list.stream().map(String.class::cast).toList();
    }

    private static String string(Map<?, ?> map, String key, String fallback) throws ConfigException {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw new ConfigException("\"" + key + "\" must be a string");
        }
        return s;
    }

    private static long number(Map<?, ?> map, String key, long fallback, long min, long max) throws ConfigException {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Long n) || n < min || n > max) {
            throw new ConfigException("\"" + key + "\" must be a whole number from " + min + " to " + max);
        }
        return n;
    }

    /** The configured trees, or the defaults, with {@code ~/} expanded. */
    public List<Path> treePaths(Path home) {
        List<String> source = trees.isEmpty() ? DEFAULT_TREES : trees;
        List<Path> out = new ArrayList<>();
        for (String t : source) {
            out.add(t.startsWith("~/") ? home.resolve(t.substring(2)) : Path.of(t));
        }
        return out;
    }
}
