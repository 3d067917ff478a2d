# home-manager module: services.elfmend for the user home-manager manages. The same options as the
# NixOS module (without `users`); the watcher is the user unit elfmend.service (the same unit as
# ../systemd/elfmend.service), with a one-shot elfmend-fix.service and a fix on `home-manager switch`.
#
#   imports = [ elfmend.homeManagerModules.default ];  # flake; or imports = [ ./nix/home-manager.nix ];
#   services.elfmend.enable = true;
{ config, lib, pkgs, ... }:
let
  cfg = config.services.elfmend;
  common = import ./common.nix { inherit lib pkgs; };
  service = import ./service.nix;
  configFile = common.configFile cfg;
  fixScript = common.fixScript cfg;
  # %h is the home and %u the user name in a user unit.
  readWritePaths = common.readWritePaths cfg "%h" "/nix/var/nix/gcroots/per-user/%u";
  # A user's service manager builds the sandbox in a user namespace (see ../systemd/elfmend.service).
  userSandbox = service.sandbox // { PrivateUsers = true; };
  # Quoted: the options hold spaces, and home-manager writes the line as it is.
  environment = [ ''"ELFMEND_JAVA_OPTS=${cfg.javaOptions}"'' ];
in
{
  options.services.elfmend = common.options;

  config = lib.mkIf cfg.enable {
    home.packages = [ cfg.package ];

    systemd.user.services.elfmend = lib.mkIf cfg.watch {
      Unit.Description = "elfmend: patch foreign ELF binaries in editor-server directories";
      Service = service.watch // userSandbox // {
        ExecStart = "${cfg.package}/bin/elfmend watch --config ${configFile}";
        Environment = environment;
        ReadWritePaths = readWritePaths;
      };
      Install.WantedBy = [ "default.target" ];
    };

    systemd.user.services.elfmend-fix = {
      Unit = {
        Description = "elfmend: fix foreign ELF binaries in editor-server directories once";
        Before = [ "elfmend.service" ];
      };
      Service = service.fix // userSandbox // {
        ExecStart = "${fixScript}";
        Environment = environment;
        ReadWritePaths = readWritePaths;
      };
      Install.WantedBy = lib.optional (!cfg.watch) "default.target";
    };

    # Skipped while the watcher runs (it re-verifies by itself when the store changes, and two writers
    # would race on the journal) and in dry runs. Never fails the activation.
    home.activation.elfmend = lib.mkIf cfg.fixOnActivation (lib.hm.dag.entryAfter [ "writeBoundary" ] ''
      if [ -z "''${DRY_RUN:-}" ] && ! XDG_RUNTIME_DIR=''${XDG_RUNTIME_DIR:-/run/user/$(id -u)} \
          ${pkgs.systemd}/bin/systemctl --user is-active --quiet elfmend.service 2>/dev/null; then
        ${fixScript} || echo "elfmend: fixing the editor-server directories failed (see above); activation goes on" >&2
      fi
    '');
  };
}
