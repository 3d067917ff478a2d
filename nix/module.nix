# NixOS module: services.elfmend. One watcher per user, elfmend@<user>.service (the same unit as
# ../systemd/elfmend@.service, with the user's real home), plus a one-shot elfmend-fix@<user>.service
# and a fix after every `nixos-rebuild switch`.
#
#   imports = [ elfmend.nixosModules.default ];      # flake; or imports = [ ./nix/module.nix ];
#   services.elfmend = { enable = true; users = [ "alice" ]; };
#
# Coming from nixos-vscode-server: installPath and extraRuntimeDependencies mean what they meant
# there; enableForUsers.users is `users`.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.elfmend;
  common = import ./common.nix { inherit lib pkgs; };
  service = import ./service.nix;
  configFile = common.configFile cfg;
  fixScript = common.fixScript cfg;
  home = user: config.users.users.${user}.home;
  gcroots = user: "/nix/var/nix/gcroots/per-user/${user}";
  readWritePaths = user: common.readWritePaths cfg (home user) (gcroots user);
  after = [ "local-fs.target" "remote-fs.target" "nss-user-lookup.target" ];

  watchUnit = user: {
    description = "elfmend: patch foreign ELF binaries in ${user}'s editor-server directories";
    wantedBy = [ "multi-user.target" ];
    inherit after;
    environment.ELFMEND_JAVA_OPTS = cfg.javaOptions;
    serviceConfig = service.watch // service.sandbox // {
      User = user;
      ExecStart = "${cfg.package}/bin/elfmend watch --config ${configFile}";
      ReadWritePaths = readWritePaths user;
    };
  };

  fixUnit = user: {
    description = "elfmend: fix foreign ELF binaries in ${user}'s editor-server directories once";
    wantedBy = lib.optional (!cfg.watch) "multi-user.target";
    inherit after;
    before = [ "elfmend@${user}.service" ];
    environment.ELFMEND_JAVA_OPTS = cfg.javaOptions;
    serviceConfig = service.fix // service.sandbox // {
      User = user;
      ExecStart = "${fixScript}";
      ReadWritePaths = readWritePaths user;
    };
  };

  perUser = f: lib.listToAttrs (map f cfg.users);

  # During activation /run/current-system is still the old system: prefer the new one's libraries.
  # Without configured profiles these are the daemon's defaults, the new system in place of the old.
  activationProfiles = user: lib.optionalString (cfg.profiles == [ ])
    (lib.escapeShellArgs [ "--profile" "${home user}/.nix-profile" "--profile" "/nix/var/nix/profiles/default" ]
      + " --profile \"$systemConfig/sw\"");
in
{
  options.services.elfmend = common.options // {
    users = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = builtins.attrNames (lib.filterAttrs (_: u: u.isNormalUser) config.users.users);
      defaultText = lib.literalExpression
        "builtins.attrNames (lib.filterAttrs (_: u: u.isNormalUser) config.users.users)";
      example = [ "alice" "bob" ];
      description = "Users whose trees elfmend looks after: one elfmend@<user>.service each, running as that user.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = map (user: {
      assertion = config.users.users ? ${user};
      message = "services.elfmend.users: there is no user ${user} in users.users";
    }) cfg.users;

    warnings = lib.optional (cfg.users == [ ])
      "services.elfmend is enabled but services.elfmend.users is empty: nothing is looked after.";

    # `elfmend check`, `elfmend undo` and friends for everyone.
    environment.systemPackages = [ cfg.package ];

    systemd.services =
      lib.optionalAttrs cfg.watch (perUser (user: lib.nameValuePair "elfmend@${user}" (watchUnit user)))
      // perUser (user: lib.nameValuePair "elfmend-fix@${user}" (fixUnit user));

    # The GC roots keep the store paths that patched files use; the user's directory must exist
    # before the unit's sandbox is built for it to be writable.
    systemd.tmpfiles.rules = map (user: "d ${gcroots user} 0755 ${user} root - -") cfg.users;

    system.activationScripts.elfmend = lib.mkIf (cfg.fixOnActivation && cfg.users != [ ]) {
      deps = [ "users" ];
      text = ''
        # elfmend: fix the editor-server trees after a switch. Only when systemd runs (a switch; at boot
        # the units do it), and not for users whose watcher is active: it re-verifies by itself when the
        # store changes, and two writers would race on the journal. Never fails the activation.
        if [ -d /run/systemd/system ]; then
        ${lib.concatMapStrings (user: ''
          if ! ${pkgs.systemd}/bin/systemctl is-active --quiet ${lib.escapeShellArg "elfmend@${user}.service"}; then
            ${pkgs.util-linux}/bin/runuser -u ${lib.escapeShellArg user} -- ${fixScript} ${activationProfiles user} \
              || echo "elfmend: fixing ${user}'s editor-server directories failed (see above); activation goes on" >&2
          fi
        '') cfg.users}
        fi
      '';
    };
  };
}
