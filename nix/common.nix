# What the NixOS module (./module.nix) and the home-manager module (./home-manager.nix) share: the
# options (so both read the same), the JSON configuration and the one-shot fix script.
{ lib, pkgs }:
let
  inherit (lib) mkOption mkEnableOption types literalExpression;
  service = import ./service.nix;
  defaultTrees = import ./default-trees.nix;
  startsWith = lib.hasPrefix;
in
rec {
  options = {
    enable = mkEnableOption ''
      elfmend, which patches foreign ELF binaries (VS Code Server's node, extension tools, native
      addons) in editor-server directories the moment they arrive, so that they run on NixOS'';

    package = mkOption {
      type = types.package;
      default = pkgs.elfmend or (pkgs.callPackage ./package.nix { });
      defaultText = literalExpression "pkgs.elfmend (the flake's overlay), else pkgs.callPackage ./package.nix { }";
      description = "The elfmend package.";
    };

    watch = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run the watcher, which patches files as they arrive. Without it, elfmend only fixes the trees
        once at boot or login (and on activation, see fixOnActivation), so a fresh editor server
        fails until then.
      '';
    };

    trees = mkOption {
      type = types.listOf types.str;
      default = defaultTrees;
      description = ''
        Directories to watch and fix. `~/` (or `$HOME/`) is the home of the user elfmend runs for. A
        tree that does not exist yet is picked up when it appears.
      '';
    };

    installPath = mkOption {
      type = types.coercedTo types.str lib.toList (types.listOf types.str);
      default = [ ];
      example = [ "$HOME/.vscode-server-oss" ];
      description = ''
        More trees, for users of nixos-vscode-server's option of this name (`$HOME/` is understood).
        The editor servers' usual places are already in `trees`.
      '';
    };

    extraLibraries = mkOption {
      type = types.either (types.attrsOf (types.listOf types.str)) (types.listOf (types.submodule {
        options = {
          glob = mkOption { type = types.str; description = "Files whose path matches this glob."; };
          libraries = mkOption { type = types.listOf types.str; description = "Sonames they load with dlopen."; };
        };
      }));
      default = { };
      example = literalExpression ''{ "*/vsce-sign" = [ "libssl.so.3" "libcrypto.so.3" ]; }'';
      description = ''
        Libraries that matching files load with dlopen (not in their DT_NEEDED): glob -> sonames (or a
        list of { glob, libraries }). Their directories are added to the files' run paths. A glob without
        a leading `/` matches at any depth. To choose the package they come from, add it to
        extraRuntimeDependencies or preferPackages.
      '';
    };

    extraRuntimeDependencies = mkOption {
      type = types.listOf types.package;
      default = [ ];
      example = literalExpression "[ pkgs.openssl pkgs.krb5 ]";
      description = ''
        As in nixos-vscode-server: packages whose libraries patched files should use. elfmend prefers
        them over other store paths with the same library (and keeps them in the system's closure).
      '';
    };

    preferPackages = mkOption {
      type = types.listOf (types.either types.str types.package);
      default = [ ];
      example = literalExpression ''[ "openssl" pkgs.zlib ]'';
      description = "Packages (or package names, or store paths) to prefer, in order, when several provide a library.";
    };

    profiles = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "/run/current-system/sw" "/etc/profiles/per-user/alice" ];
      description = ''
        Prefer libraries in the closure of these profiles. Empty: /run/current-system/sw,
        ~/.nix-profile and /nix/var/nix/profiles/default.
      '';
    };

    reverifyIntervalSeconds = mkOption {
      type = types.ints.between 0 604800;
      default = 600;
      description = "Re-check every watched file this often (0: only when the store changes).";
    };

    workers = mkOption {
      type = types.ints.between 1 64;
      default = 2;
      description = "Files patched at the same time.";
    };

    settleMillis = mkOption {
      type = types.ints.between 0 60000;
      default = 25;
      description = "Quiet time after which a changed file counts as written.";
    };

    allowPrivileged = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Also patch set-user-ID, set-group-ID and capability-carrying executables (their bits and
        `security.capability` are kept; setting a capability needs CAP_SETFCAP). Off: such files are
        left alone and the log says so.
      '';
    };

    allowHardLinks = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Also patch files that have other hard links. The patched file replaces only the name elfmend
        found; the other names keep the unpatched file, and the log warns about it. Off: such files are
        left alone and the log says so.
      '';
    };

    javaOptions = mkOption {
      type = types.str;
      default = service.javaOptions;
      description = "JVM flags for elfmend's units (ELFMEND_JAVA_OPTS). The default keeps the idle daemon small.";
    };

    fixOnActivation = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Fix the trees once on activation (nixos-rebuild switch, home-manager switch). Skipped while the
        watcher runs: it re-verifies its files by itself when the store changes.
      '';
    };
  };

  # A package, or a string taken as it is (a package name or store path).
  preferred = p: if builtins.isString p then p else "${lib.getLib p}";

  # The attribute set the daemon reads (its JSON form is configFile).
  settings = cfg: import ./config.nix {
    trees = cfg.trees ++ cfg.installPath;
    prefer = map preferred (cfg.preferPackages ++ cfg.extraRuntimeDependencies);
    inherit (cfg) profiles reverifyIntervalSeconds workers settleMillis allowPrivileged allowHardLinks;
    # A submodule's value carries more than its options; the configuration wants just the two keys.
    extraLibraries = if builtins.isList cfg.extraLibraries
      then map (r: { inherit (r) glob libraries; }) cfg.extraLibraries
      else cfg.extraLibraries;
  };

  configFile = cfg: pkgs.writeText "elfmend.json" (builtins.toJSON (settings cfg));

  # The trees as elfmend sees them (the daemon's defaults when none are configured).
  trees = cfg: let configured = (settings cfg).trees; in if configured == [ ] then defaultTrees else configured;

  # ReadWritePaths= for a unit that works on `home`: all of it (trees are created and deleted while
  # the daemon runs, see ../systemd/elfmend.service), the user's GC roots, and trees outside the home.
  # `gcroots` is the user's directory under /nix/var/nix/gcroots/per-user.
  readWritePaths = cfg: home: gcroots:
    [ home "-${gcroots}" ]
    ++ map (t: "-${t}") (lib.filter (t: !(startsWith "~/" t) && !(startsWith "${home}/" t)) (trees cfg));

  # `elfmend fix` of the trees that exist, for the user running it; arguments go to `elfmend fix`.
  fixScript = cfg: pkgs.writeShellScript "elfmend-fix" ''
    set -u
    export ELFMEND_JAVA_OPTS=''${ELFMEND_JAVA_OPTS:-${lib.escapeShellArg cfg.javaOptions}}
    existing=()
    for tree in ${lib.escapeShellArgs (trees cfg)}; do
      case $tree in "~/"*) tree=$HOME/''${tree#"~/"} ;; esac
      if [ -d "$tree" ]; then existing+=("$tree"); fi
    done
    if [ ''${#existing[@]} -eq 0 ]; then
      echo "elfmend: no editor-server directory exists yet; nothing to fix"
      exit 0
    fi
    exec ${cfg.package}/bin/elfmend fix ${lib.escapeShellArgs (import ./cli-args.nix (settings cfg))} "$@" "''${existing[@]}"
  '';
}
