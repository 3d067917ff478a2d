# The store options of an attribute set made by ./config.nix as `elfmend fix` arguments. `fix` reads no
# JSON file, so the one-shot units pass the same settings as the watcher's --config this way.
# Pure (no nixpkgs), like ./config.nix.
settings:
let
  each = flag: values: builtins.concatMap (v: [ flag v ]) values;
  optional = flag: name: if settings ? ${name} then [ flag settings.${name} ] else [ ];
  switch = flag: name: if settings.${name} or false then [ flag ] else [ ];
in
[ "--root" settings.root "--store-dir" settings.storeDir ]
++ each "--prefer" settings.prefer
++ each "--profile" settings.profiles
++ each "--extra-libraries"
  (map (r: r.glob + "=" + builtins.concatStringsSep "," r.libraries) settings.extraLibraries)
++ optional "--state-dir" "stateDir"
++ optional "--cache-dir" "cacheDir"
++ optional "--gcroots-dir" "gcrootsDir"
++ switch "--allow-privileged" "allowPrivileged"
++ switch "--allow-hardlinks" "allowHardLinks"
