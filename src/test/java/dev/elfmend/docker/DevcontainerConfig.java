package dev.elfmend.docker;

import dev.elfmend.config.ConfigException;
import dev.elfmend.config.JsonReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a {@code devcontainer.json} that decide how VS Code builds and runs the container, read
 * the way VS Code reads the file: JSON with comments and trailing commas (JSONC). Defaults are the
 * specification's: {@code overrideCommand} is true for image and Dockerfile configurations, the
 * context is the file's directory.
 */
record DevcontainerConfig(Path file, String dockerfile, String context, List<String> runArgs,
        Map<String, String> containerEnv, boolean overrideCommand, String remoteUser, String containerUser) {

    static DevcontainerConfig read(Path file) {
        Map<?, ?> json;
        try {
            json = (Map<?, ?>) JsonReader.parse(withoutComments(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ConfigException | ClassCastException e) {
            throw new AssertionError(file + " is not a devcontainer.json: " + e.getMessage(), e);
        }
        Map<?, ?> build = json.get("build") instanceof Map<?, ?> m ? m : Map.of();
        Map<String, String> env = new LinkedHashMap<>();
        if (json.get("containerEnv") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put((String) k, (String) v));
        }
        List<String> runArgs = json.get("runArgs") instanceof List<?> l ? l.stream().map(String.class::cast).toList()
                : List.of();
        return new DevcontainerConfig(file, (String) build.get("dockerfile"),
                build.get("context") instanceof String c ? c : ".", runArgs, env,
                !Boolean.FALSE.equals(json.get("overrideCommand")), (String) json.get("remoteUser"),
                (String) json.get("containerUser"));
    }

    /** The directory {@code docker build} gets, resolved against the file's directory. */
    Path contextDir() {
        return file.getParent().resolve(context).normalize();
    }

    Path dockerfilePath() {
        return file.getParent().resolve(dockerfile).normalize();
    }

    /** JSONC to JSON: comments become spaces (positions in messages stay right), trailing commas go. */
    static String withoutComments(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                int end = i + 1;
                while (end < text.length() && text.charAt(end) != '"') {
                    end += text.charAt(end) == '\\' ? 2 : 1;
                }
                out.append(text, i, Math.min(end + 1, text.length()));
                i = end + 1;
            } else if (text.startsWith("//", i)) {
                while (i < text.length() && text.charAt(i) != '\n') {
                    out.append(' ');
                    i++;
                }
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                end = end < 0 ? text.length() : end + 2;
                for (; i < end; i++) {
                    out.append(text.charAt(i) == '\n' ? '\n' : ' ');
                }
            } else if (c == ',' && closesNext(text, i + 1)) {
                out.append(' ');
                i++;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Whether only whitespace and comments stand between {@code from} and a closing bracket. */
    private static boolean closesNext(String text, int from) {
        int i = from;
        while (i < text.length()) {
            if (Character.isWhitespace(text.charAt(i))) {
                i++;
            } else if (text.startsWith("//", i)) {
                int end = text.indexOf('\n', i);
                i = end < 0 ? text.length() : end;
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                i = end < 0 ? text.length() : end + 2;
            } else {
                return text.charAt(i) == '}' || text.charAt(i) == ']';
            }
        }
        return false;
    }
}
