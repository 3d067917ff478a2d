package dev.elfmend.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON configuration the modules write: what it accepts, what it defaults to, what it refuses and how it says so. */
class ElfmendConfigTest {

    private static final Path HOME = Path.of("/home/alice");

    @Test
    void syntaxErrorsNameLineAndColumn() {
        assertEquals("line 2, column 18: unexpected character ']'",
                error("{\n  \"trees\": [\"/a\",]\n}"));
        assertEquals("line 1, column 17: unterminated string", error("{\"trees\": [\"/a]}"));
        assertEquals("line 3, column 1: unexpected text after the JSON value", error("{}\n\n}"));
        assertEquals("line 1, column 23: duplicate key \"root\"", error("{\"root\": \"/\", \"root\": \"/\"}"));
    }

    @Test
    void anEmptyObjectIsTheDefaults() throws ConfigException {
        ElfmendConfig c = ElfmendConfig.parse("{}");
        assertEquals(ElfmendConfig.defaults(), c);
        assertEquals(List.of(), c.trees());
        assertEquals("/", c.root());
        assertEquals("/nix/store", c.storeDir());
        assertEquals(600, c.reverifyIntervalSeconds());
        assertEquals(2, c.workers());
        assertEquals(25, c.settleMillis());
        assertNull(c.stateDir());
        assertNull(c.cacheDir());
        assertNull(c.gcrootsDir());
        assertFalse(c.allowPrivileged(), "privileged files are left alone unless allowed");
        assertFalse(c.allowHardLinks(), "hard-linked files are left alone unless allowed");
    }

    @Test
    void withoutTreesTheEditorServerDirectoriesAreWatched() throws ConfigException {
        List<Path> trees = ElfmendConfig.parse("{}").treePaths(HOME);
        assertEquals(ElfmendConfig.DEFAULT_TREES.size(), trees.size());
        assertTrue(trees.contains(HOME.resolve(".vscode-server")), trees.toString());
        assertTrue(trees.contains(HOME.resolve(".vscode/cli")), trees.toString());
        assertTrue(trees.contains(Path.of("/vscode/vscode-server")), trees.toString());
    }

    @Test
    void nullCountsAsNotGiven() throws ConfigException {
        assertEquals(ElfmendConfig.defaults(), ElfmendConfig.parse(
                "{\"stateDir\": null, \"trees\": null, \"workers\": null, \"extraLibraries\": null}"));
    }

    @Test
    void everyKeyIsRead() throws ConfigException {
        ElfmendConfig c = ElfmendConfig.parse("""
                {"trees": ["~/.vscode-server", "/srv/code"], "root": "/mnt/root", "storeDir": "/gnu/store",
                 "prefer": ["openssl"], "profiles": ["/run/current-system/sw"],
                 "extraLibraries": [{"glob": "*/vsce-sign", "libraries": ["libssl.so.3", "libcrypto.so.3"]}],
                 "stateDir": "/var/lib/x", "cacheDir": "/var/cache/x", "gcrootsDir": "/nix/var/nix/gcroots/x",
                 "reverifyIntervalSeconds": 0, "workers": 64, "settleMillis": 60000,
                 "allowPrivileged": true, "allowHardLinks": true}
                """);
        assertEquals(new ElfmendConfig(List.of("~/.vscode-server", "/srv/code"), "/mnt/root", "/gnu/store",
                List.of("openssl"), List.of("/run/current-system/sw"),
                List.of(new ElfmendConfig.ExtraLibraries("*/vsce-sign", List.of("libssl.so.3", "libcrypto.so.3"))),
                "/var/lib/x", "/var/cache/x", "/nix/var/nix/gcroots/x", 0, 64, 60000, true, true), c);
    }

    @Test
    void treesStartingWithTildeAreInTheHome() throws ConfigException {
        ElfmendConfig c = ElfmendConfig.parse("{\"trees\": [\"~/.vscode-server\", \"~/a/b\", \"/srv/code\"]}");
        assertEquals(List.of(HOME.resolve(".vscode-server"), HOME.resolve("a/b"), Path.of("/srv/code")),
                c.treePaths(HOME));
    }

    @Test
    void anUnknownKeyIsNamedWithTheKnownOnes() {
        String message = error("{\"trees\": [], \"prefers\": [\"openssl\"]}");
        assertTrue(message.startsWith("unknown key \"prefers\""), message);
        assertTrue(message.contains("prefer, profiles"), message);
    }

    @Test
    void wrongTypesSayWhichKeyAndWhatItWants() {
        assertEquals("\"trees\" must be an array of strings", error("{\"trees\": \"~/.vscode-server\"}"));
        assertEquals("\"prefer\" must be an array of strings", error("{\"prefer\": [1]}"));
        assertEquals("\"root\" must be a string", error("{\"root\": 1}"));
        assertEquals("\"workers\" must be a whole number from 1 to 64", error("{\"workers\": \"2\"}"));
        assertEquals("\"workers\" must be a whole number from 1 to 64", error("{\"workers\": 0}"));
        assertEquals("\"settleMillis\" must be a whole number from 0 to 60000", error("{\"settleMillis\": 2.5}"));
        assertEquals("\"reverifyIntervalSeconds\" must be a whole number from 0 to 604800",
                error("{\"reverifyIntervalSeconds\": -1}"));
        assertEquals("the configuration must be a JSON object", error("[]"));
        assertEquals("\"allowPrivileged\" must be true or false", error("{\"allowPrivileged\": \"yes\"}"));
        assertEquals("\"allowHardLinks\" must be true or false", error("{\"allowHardLinks\": 1}"));
    }

    @Test
    void pathsMustBeAbsolute() {
        assertEquals("tree \"vscode-server\" must be an absolute path or start with ~/",
                error("{\"trees\": [\"vscode-server\"]}"));
        assertEquals("tree \"$HOME/.vscode-server\" must be an absolute path or start with ~/",
                error("{\"trees\": [\"$HOME/.vscode-server\"]}"));
        assertEquals("\"root\" and \"storeDir\" must be absolute paths", error("{\"storeDir\": \"nix/store\"}"));
    }

    @Test
    void extraLibrariesWantGlobAndLibrariesOnly() {
        String shape = "each \"extraLibraries\" entry must be {\"glob\": \"...\", \"libraries\": [\"...\"]}";
        assertEquals(shape, error("{\"extraLibraries\": [{\"libraries\": [\"libssl.so.3\"]}]}"));
        assertEquals(shape, error("{\"extraLibraries\": [{\"glob\": \"x\", \"libraries\": [], \"when\": 1}]}"));
        assertEquals("\"extraLibraries\" must be an array of {\"glob\", \"libraries\"} objects",
                error("{\"extraLibraries\": {\"x\": [\"libssl.so.3\"]}}"));
        assertEquals("\"extraLibraries[].libraries\" must be an array of strings",
                error("{\"extraLibraries\": [{\"glob\": \"x\", \"libraries\": \"libssl.so.3\"}]}"));
    }

    @Test
    void loadingAFileNamesTheFileInErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("elfmend.json");
        Files.writeString(file, "{\"workers\": 0}");
        ConfigException e = assertThrows(ConfigException.class, () -> ElfmendConfig.load(file));
        assertEquals(file + ": \"workers\" must be a whole number from 1 to 64", e.getMessage());
    }

    private static String error(String json) {
        return assertThrows(ConfigException.class, () -> ElfmendConfig.parse(json)).getMessage();
    }
}
