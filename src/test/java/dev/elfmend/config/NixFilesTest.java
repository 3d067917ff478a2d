package dev.elfmend.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Nix side of elfmend (nix/): every file parses, and the configuration the modules write through
 * config.nix is one the daemon reads with the values meant, so module and daemon agree on the schema.
 * No nixpkgs is reachable here: what needs it (package.nix, flake.nix) is evaluated against stand-ins.
 */
class NixFilesTest {

    @TempDir
    static Path scratch;

    static NixExpressions nix;

    @BeforeAll
    static void requireNix() {
        nix = NixExpressions.require(scratch);
    }

    @Test
    void everyNixFileParses() {
        List<Path> files = NixExpressions.nixFiles();
        List<String> names = files.stream().map(f -> NixExpressions.nixDir().relativize(f).toString()).toList();
        assertTrue(names.containsAll(List.of("package.nix", "flake.nix", "module.nix", "home-manager.nix",
                "config.nix")), names.toString());
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            Processes.Result r = nix.parse(f);
            if (r.exit() != 0) {
                failures.add(f + ": " + r.err().strip());
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void configFromModuleOptionsIsWhatTheDaemonReads() throws ConfigException {
        String json = nix.evalJson(config("""
                {
                  trees = [ "~/.vscode-server" "$HOME/.cursor-server" "${HOME}/.vscode/cli" "/srv/code" "~/.vscode-server" ];
                  prefer = [ "openssl" "/nix/store/00000000000000000000000000000000-zlib-1.3" ];
                  profiles = [ "/run/current-system/sw" ];
                  extraLibraries = { "*/vsce-sign" = [ "libssl.so.3" "libcrypto.so.3" ]; "*.node" = [ "libz.so.1" ]; };
                  reverifyIntervalSeconds = 300;
                  workers = 4;
                  settleMillis = 50;
                  gcrootsDir = "/nix/var/nix/gcroots/per-user/alice/elfmend";
                }
                """.replace("${HOME}", "\\${HOME}")));
        ElfmendConfig c = ElfmendConfig.parse(json);
        // $HOME/ and ${HOME}/ (nixos-vscode-server's installPath) become ~/; a tree listed twice is watched once.
        assertEquals(List.of("~/.vscode-server", "~/.cursor-server", "~/.vscode/cli", "/srv/code"), c.trees());
        assertEquals(List.of("openssl", "/nix/store/00000000000000000000000000000000-zlib-1.3"), c.prefer());
        assertEquals(List.of("/run/current-system/sw"), c.profiles());
        // Nix orders attribute names.
        assertEquals(List.of(new ElfmendConfig.ExtraLibraries("*.node", List.of("libz.so.1")),
                new ElfmendConfig.ExtraLibraries("*/vsce-sign", List.of("libssl.so.3", "libcrypto.so.3"))),
                c.extraLibraries());
        assertEquals(300, c.reverifyIntervalSeconds());
        assertEquals(4, c.workers());
        assertEquals(50, c.settleMillis());
        assertEquals("/nix/var/nix/gcroots/per-user/alice/elfmend", c.gcrootsDir());
        assertNull(c.stateDir());
        assertEquals("/", c.root());
        assertEquals("/nix/store", c.storeDir());
    }

    @Test
    void configWithoutArgumentsIsTheDaemonsDefaults() throws ConfigException {
        assertEquals(ElfmendConfig.defaults(), ElfmendConfig.parse(nix.evalJson(config("{ }"))));
    }

    @Test
    void extraLibrariesMayBeAListOfRules() throws ConfigException {
        ElfmendConfig c = ElfmendConfig.parse(nix.evalJson(config(
                "{ extraLibraries = [ { glob = \"*/vsce-sign\"; libraries = [ \"libssl.so.3\" ]; } ]; }")));
        assertEquals(List.of(new ElfmendConfig.ExtraLibraries("*/vsce-sign", List.of("libssl.so.3"))),
                c.extraLibraries());
    }

    @Test
    void configRefusesAnArgumentItDoesNotKnow() {
        Processes.Result r = nix.eval(config("{ prefers = [ \"openssl\" ]; }"));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("prefers"), r.err());
    }

    @Test
    void configRefusesMisshapenExtraLibraries() {
        Processes.Result r = nix.eval(config("{ extraLibraries = [ { glob = \"x\"; libs = [ ]; } ]; }"));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("extraLibraries"), r.err());
    }

    @Test
    void aKeyTheDaemonDoesNotKnowIsRefusedByName() {
        // What a module would write if it grew an option the daemon has no key for.
        String json = nix.evalJson(config("{ trees = [ \"~/.vscode-server\" ]; }") + " // { preferPackages = [ ]; }");
        ConfigException e = assertThrows(ConfigException.class, () -> ElfmendConfig.parse(json));
        assertTrue(e.getMessage().contains("\"preferPackages\""), e.getMessage());
    }

    @Test
    void everyKeyTheDaemonKnowsCanBeWritten() {
        // config.nix writes the optional directories only when set: with all of them, all keys appear.
        String json = nix.evalJson(config("{ stateDir = \"/s\"; cacheDir = \"/c\"; gcrootsDir = \"/g\"; }"));
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) assertDoesNotThrow(() -> JsonReader.parse(json));
        assertEquals(ElfmendConfig.KEYS, map.keySet());
    }

    @Test
    void defaultTreesAreTheDaemonsDefaultTrees() throws ConfigException {
        Object trees = JsonReader.parse(nix.evalJson("import " + NixExpressions.path(
                NixExpressions.nixDir().resolve("default-trees.nix"))));
        assertEquals(ElfmendConfig.DEFAULT_TREES, trees);
    }

    @Test
    void fixGetsTheSameSettingsAsFlags() throws ConfigException {
        String args = nix.evalJson("import " + NixExpressions.path(NixExpressions.nixDir().resolve("cli-args.nix"))
                + " (" + config("""
                { prefer = [ "openssl" ]; profiles = [ "/p" ]; stateDir = "/s";
                  extraLibraries = { "*/vsce-sign" = [ "libssl.so.3" "libcrypto.so.3" ]; }; }
                """) + ")");
        assertEquals(List.of("--root", "/", "--store-dir", "/nix/store", "--prefer", "openssl", "--profile", "/p",
                "--extra-libraries", "*/vsce-sign=libssl.so.3,libcrypto.so.3", "--state-dir", "/s"),
                JsonReader.parse(args));
    }

    @Test
    void allowingPrivilegedAndHardLinkedFilesReachesTheDaemonAndFix() throws ConfigException {
        String settings = config("{ allowPrivileged = true; allowHardLinks = true; }");
        ElfmendConfig c = ElfmendConfig.parse(nix.evalJson(settings));
        assertTrue(c.allowPrivileged());
        assertTrue(c.allowHardLinks());
        String args = nix.evalJson("import " + NixExpressions.path(NixExpressions.nixDir().resolve("cli-args.nix"))
                + " (" + settings + ")");
        assertEquals(List.of("--root", "/", "--store-dir", "/nix/store", "--allow-privileged", "--allow-hardlinks"),
                JsonReader.parse(args));
    }

    @Test
    void packageBuildsTheJarOfThePomVersionWithMaven() throws IOException, ConfigException {
        // nixpkgs stand-ins: buildMavenPackage returns its arguments, packages are bare store paths.
        String expression = """
                let
                  pkg = name: { outPath = "/nix/store/00000000000000000000000000000000-${name}"; inherit name; };
                  lib = {
                    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
                    fileset = { toSource = { root, fileset }: "source"; unions = files: files; };
                    makeBinPath = ps: builtins.concatStringsSep ":" (map (p: "${p}/bin") ps);
                    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];
                  };
                  maven.buildMavenPackage = args: args;
                in
                import PACKAGE {
                  inherit lib maven;
                  makeWrapper = pkg "make-wrapper";
                  jdk21_headless = pkg "openjdk-headless-21";
                  coreutils = pkg "coreutils";
                  gnused = pkg "gnused";
                }
                """.replace("PACKAGE", NixExpressions.path(NixExpressions.nixDir().resolve("package.nix")));
        @SuppressWarnings("unchecked")
        Map<String, Object> args = (Map<String, Object>) JsonReader.parse(nix.evalJson(expression));
        assertEquals("elfmend", args.get("pname"));
        assertEquals(pomVersion(), args.get("version"));
        assertEquals("/nix/store/00000000000000000000000000000000-openjdk-headless-21", args.get("mvnJdk"));
        assertEquals(Boolean.FALSE, args.get("doCheck"));
        String install = (String) args.get("installPhase");
        assertTrue(install.contains("install -Dm644 target/elfmend.jar $out/share/elfmend/elfmend.jar"), install);
        assertTrue(install.contains("makeWrapper $out/share/elfmend/elfmend $out/bin/elfmend"), install);
        assertTrue(install.contains("--set JAVA_HOME /nix/store/00000000000000000000000000000000-openjdk-headless-21"),
                install);
    }

    @Test
    void flakeExposesPackageModulesAndOverlay() throws ConfigException {
        String expression = """
                let
                  flake = import FLAKE;
                  pkgsFor = system: { callPackage = f: args: { package = baseNameOf (toString f); inherit system; }; };
                  nixpkgs = {
                    lib.genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
                    legacyPackages = { x86_64-linux = pkgsFor "x86_64-linux"; aarch64-linux = pkgsFor "aarch64-linux"; };
                  };
                  self = flake.outputs { inherit self nixpkgs; };
                  file = p: baseNameOf (toString p);
                in {
                  inputs = builtins.attrNames flake.inputs;
                  systems = builtins.attrNames self.packages;
                  default = self.packages.x86_64-linux.default;
                  nixos = file self.nixosModules.default;
                  homeManager = file self.homeManagerModules.default;
                  overlay = (self.overlays.default (pkgsFor "x86_64-linux") { }).elfmend.package;
                  legacyOverlay = (self.overlay (pkgsFor "x86_64-linux") { }).elfmend.package;
                }
                """.replace("FLAKE", NixExpressions.path(NixExpressions.nixDir().resolve("flake.nix")));
        assertEquals(JsonReader.parse("""
                {"default": {"package": "package.nix", "system": "x86_64-linux"}, "homeManager": "home-manager.nix",
                 "inputs": ["nixpkgs"], "legacyOverlay": "package.nix", "nixos": "module.nix",
                 "overlay": "package.nix", "systems": ["aarch64-linux", "x86_64-linux"]}
                """), JsonReader.parse(nix.evalJson(expression)));
    }

    private static String config(String arguments) {
        return "import " + NixExpressions.path(NixExpressions.nixDir().resolve("config.nix")) + " " + arguments;
    }

    private static String pomVersion() throws IOException {
        String pom = Files.readString(NixExpressions.projectDir().resolve("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>elfmend</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), "pom.xml has no version after <artifactId>elfmend");
        return m.group(1);
    }
}
