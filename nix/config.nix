# The daemon's JSON configuration as an attribute set: what `elfmend watch --config FILE` reads
# (dev.elfmend.config.ElfmendConfig). A pure function, no nixpkgs, so that the modules and a test
# without nixpkgs share it; callers write it with builtins.toJSON. Arguments not listed are an error,
# as unknown keys are for the daemon.
#
# Besides the daemon's own forms it accepts what users of nixos-vscode-server write: trees starting
# with `$HOME/` or `${HOME}/` (made `~/`), and extraLibraries as an attribute set glob -> sonames.
{ trees ? [ ]
, root ? "/"
, storeDir ? "/nix/store"
, prefer ? [ ]
, profiles ? [ ]
, extraLibraries ? [ ]
, stateDir ? null
, cacheDir ? null
, gcrootsDir ? null
, reverifyIntervalSeconds ? 600
, workers ? 2
, settleMillis ? 25
, allowPrivileged ? false
, allowHardLinks ? false
}:
let
  startsWith = prefix: s:
    builtins.substring 0 (builtins.stringLength prefix) s == prefix;
  dropPrefix = prefix: s:
    builtins.substring (builtins.stringLength prefix) (builtins.stringLength s) s;

  homeTree = tree:
    if startsWith "$HOME/" tree then "~/" + dropPrefix "$HOME/" tree
    else if startsWith "\${HOME}/" tree then "~/" + dropPrefix "\${HOME}/" tree
    else tree;

  # Keeps the first of each, in order: a tree listed twice would be watched twice.
  unique = list: builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ] list;

  rule = glob: libraries:
    if builtins.isString glob && builtins.isList libraries && builtins.all builtins.isString libraries
    then { inherit glob libraries; }
    else throw "elfmend: extraLibraries: each rule is a glob with a list of sonames, e.g. \"*/vsce-sign\" = [ \"libssl.so.3\" ]";

  rules =
    if builtins.isAttrs extraLibraries
    then map (glob: rule glob extraLibraries.${glob}) (builtins.attrNames extraLibraries)
    else if builtins.isList extraLibraries
    then map (r:
      if builtins.isAttrs r && builtins.attrNames r == [ "glob" "libraries" ]
      then rule r.glob r.libraries
      else throw "elfmend: extraLibraries: a list entry must be { glob = \"...\"; libraries = [ \"...\" ]; }")
      extraLibraries
    else throw "elfmend: extraLibraries must be an attribute set (glob -> sonames) or a list of { glob, libraries }";

  optional = name: value: if value == null then { } else { ${name} = value; };
in
{
  trees = unique (map homeTree trees);
  inherit root storeDir reverifyIntervalSeconds workers settleMillis allowPrivileged allowHardLinks;
  prefer = map toString prefer;
  profiles = map toString profiles;
  extraLibraries = rules;
}
// optional "stateDir" stateDir
// optional "cacheDir" cacheDir
// optional "gcrootsDir" gcrootsDir
