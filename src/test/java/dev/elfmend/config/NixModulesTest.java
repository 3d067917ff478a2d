package dev.elfmend.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NixOS and home-manager modules evaluated with the real module system, against stand-ins for
 * nixpkgs packages and for the NixOS/home-manager options they set. Needs nixpkgs' lib/, which is not
 * reachable in CI, so it runs only when asked:
 * {@code -Delfmend.nixpkgsLib=DIR/lib} with DIR a clone of github.com/nix-community/nixpkgs.lib (or of
 * nixpkgs). What CI can check without it is in NixFilesTest.
 */
@EnabledIfSystemProperty(named = "elfmend.nixpkgsLib", matches = ".+")
class NixModulesTest {

    @TempDir
    static Path scratch;

    static NixExpressions nix;

    @BeforeAll
    static void requireNix() {
        nix = NixExpressions.require(scratch);
        Path lib = Path.of(System.getProperty("elfmend.nixpkgsLib"));
        assertTrue(Files.isRegularFile(lib.resolve("modules.nix")), lib + " is not nixpkgs' lib/ directory");
    }

    @Test
    void nixosModuleRunsOneSandboxedWatcherPerUserWithTheirHome() throws ConfigException {
        Map<?, ?> r = eval(NIXOS, "{ enable = true; users = [ \"alice\" \"bob\" ]; }");
        assertEquals(List.of(), r.get("failedAssertions"));
        Map<?, ?> services = (Map<?, ?>) r.get("services");
        assertEquals(List.of("elfmend-fix@alice", "elfmend-fix@bob", "elfmend@alice", "elfmend@bob"),
                List.copyOf(services.keySet()));
        Map<?, ?> bob = (Map<?, ?>) ((Map<?, ?>) services.get("elfmend@bob")).get("serviceConfig");
        assertEquals("bob", bob.get("User"));
        assertEquals(List.of("/srv/bob", "-/nix/var/nix/gcroots/per-user/bob", "-/vscode/vscode-server"),
                bob.get("ReadWritePaths"));
        assertTrue(((String) bob.get("ExecStart")).matches("/nix/store/\\S+-elfmend-stub/bin/elfmend watch --config "
                + "/nix/store/\\S+-elfmend.json"), (String) bob.get("ExecStart"));
        assertEquals("strict", bob.get("ProtectSystem"));
        ElfmendConfig config = ElfmendConfig.parse((String) r.get("configText"));
        assertEquals(ElfmendConfig.DEFAULT_TREES, config.trees());
        assertTrue(((String) r.get("activation")).contains("runuser -u alice"), (String) r.get("activation"));
        assertEquals(List.of("d /nix/var/nix/gcroots/per-user/alice 0755 alice root - -",
                "d /nix/var/nix/gcroots/per-user/bob 0755 bob root - -"), r.get("tmpfiles"));
    }

    @Test
    void nixosModuleTakesNixosVscodeServerOptions() throws ConfigException {
        Map<?, ?> r = eval(NIXOS, """
                { enable = true; users = [ "alice" ]; trees = [ ];
                  installPath = "$HOME/.vscode-server-oss";
                  extraRuntimeDependencies = [ pkgs.openssl ];
                  preferPackages = [ "zlib" ];
                  extraLibraries = { "*/vsce-sign" = [ "libssl.so.3" ]; }; }
                """);
        ElfmendConfig config = ElfmendConfig.parse((String) r.get("configText"));
        assertEquals(List.of("~/.vscode-server-oss"), config.trees());
        assertEquals(List.of("zlib", "/nix/store/00000000000000000000000000000000-openssl-stub"), config.prefer());
        assertEquals(List.of(new ElfmendConfig.ExtraLibraries("*/vsce-sign", List.of("libssl.so.3"))),
                config.extraLibraries());
    }

    @Test
    void nixosModuleNamesAUserThatDoesNotExist() {
        // NixOS checks assertions before it builds units (which would need mallory's home): so does this.
        String failed = nix.evalJson("(" + expression(NIXOS, "{ enable = true; users = [ \"mallory\" ]; }")
                + ").failedAssertions");
        assertEquals("[\"services.elfmend.users: there is no user mallory in users.users\"]", failed);
    }

    @Test
    void homeManagerModuleRunsTheUserUnit() throws ConfigException {
        Map<?, ?> r = eval(HOME_MANAGER, "{ enable = true; watch = false; }");
        Map<?, ?> services = (Map<?, ?>) r.get("services");
        assertEquals(List.of("elfmend-fix"), List.copyOf(services.keySet()));
        Map<?, ?> fix = (Map<?, ?>) services.get("elfmend-fix");
        assertEquals(Map.of("WantedBy", List.of("default.target")), fix.get("Install"));
        Map<?, ?> service = (Map<?, ?>) fix.get("Service");
        assertEquals(List.of("%h", "-/nix/var/nix/gcroots/per-user/%u", "-/vscode/vscode-server"),
                service.get("ReadWritePaths"));
        assertTrue(((List<?>) service.get("Environment")).get(0).toString().startsWith("\"ELFMEND_JAVA_OPTS=-X"));
        assertEquals(Boolean.TRUE, service.get("PrivateUsers"));
        ElfmendConfig.parse((String) r.get("configText"));
    }

    private static Map<?, ?> eval(String harness, String settings) {
        try {
            return (Map<?, ?>) JsonReader.parse(nix.evalJson(expression(harness, settings)));
        } catch (ConfigException e) {
            throw new AssertionError(e);
        }
    }

    private static String expression(String harness, String settings) {
        return harness.replace("LIB", NixExpressions.path(Path.of(System.getProperty("elfmend.nixpkgsLib"))))
                .replace("COMMON_NIX", file("common.nix")).replace("MODULE_NIX", file("module.nix"))
                .replace("HOME_MANAGER_NIX", file("home-manager.nix"))
                .replace("SETTINGS", settings);
    }

    private static String file(String name) {
        return NixExpressions.path(NixExpressions.nixDir().resolve(name));
    }

    /** Stand-ins shared by both harnesses: packages are bare store paths, writers keep their text. */
    private static final String STUBS = """
            lib0 = import LIB;
            lib = lib0.extend (self: super: { hm.dag.entryAfter = after: data: { inherit after data; before = [ ]; }; });
            drv = name: extra: { type = "derivation"; inherit name; outputs = [ "out" ];
              outPath = "/nix/store/00000000000000000000000000000000-${name}"; } // extra;
            pkgs = {
              elfmend = drv "elfmend-stub" { };
              systemd = drv "systemd-stub" { };
              util-linux = drv "util-linux-stub" { };
              openssl = drv "openssl-stub" { };
              writeText = name: text: drv name { inherit text; };
              writeShellScript = name: text: drv name { inherit text; };
            };
            common = import COMMON_NIX { inherit lib pkgs; };
            """;

    private static final String NIXOS = "let\n" + STUBS + """
            eval = lib.evalModules {
              specialArgs = { inherit pkgs; };
              modules = [
                ({ lib, ... }: {
                  options = {
                    assertions = lib.mkOption { type = lib.types.listOf lib.types.unspecified; default = [ ]; };
                    warnings = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
                    environment.systemPackages = lib.mkOption { type = lib.types.listOf lib.types.package; default = [ ]; };
                    systemd.services = lib.mkOption { type = lib.types.attrsOf lib.types.anything; default = { }; };
                    systemd.tmpfiles.rules = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
                    system.activationScripts = lib.mkOption { type = lib.types.attrsOf lib.types.anything; default = { }; };
                    users.users = lib.mkOption {
                      type = lib.types.attrsOf (lib.types.submodule ({ name, ... }: { options = {
                        home = lib.mkOption { type = lib.types.str; default = "/home/${name}"; };
                        isNormalUser = lib.mkOption { type = lib.types.bool; default = false; };
                      }; }));
                      default = { };
                    };
                  };
                })
                MODULE_NIX
                ({ pkgs, ... }: {
                  users.users.alice.isNormalUser = true;
                  users.users.bob = { isNormalUser = true; home = "/srv/bob"; };
                  services.elfmend = SETTINGS;
                })
              ];
            };
            c = eval.config;
            in {
              failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
              services = c.systemd.services;
              tmpfiles = c.systemd.tmpfiles.rules;
              activation = c.system.activationScripts.elfmend.text or "";
              configText = (common.configFile c.services.elfmend).text;
            }
            """;

    private static final String HOME_MANAGER = "let\n" + STUBS + """
            eval = lib.evalModules {
              specialArgs = { inherit pkgs; };
              modules = [
                ({ lib, ... }: {
                  options = {
                    home.packages = lib.mkOption { type = lib.types.listOf lib.types.package; default = [ ]; };
                    home.activation = lib.mkOption { type = lib.types.attrsOf lib.types.anything; default = { }; };
                    systemd.user.services = lib.mkOption { type = lib.types.attrsOf lib.types.anything; default = { }; };
                  };
                })
                HOME_MANAGER_NIX
                ({ pkgs, ... }: { services.elfmend = SETTINGS; })
              ];
            };
            c = eval.config;
            in {
              services = c.systemd.user.services;
              activation = c.home.activation.elfmend.data or "";
              configText = (common.configFile c.services.elfmend).text;
            }
            """;
}
