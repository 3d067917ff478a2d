# elfmend as a flake. It lives in nix/ of the source tree, which it builds from:
#   nix build ./nix                          (in a checkout; files must be tracked by git)
#   nix build 'github:<owner>/elfmend?dir=nix'
# and in a system flake: inputs.elfmend.url = "github:<owner>/elfmend?dir=nix";
{
  description = "elfmend: rewrites foreign ELF binaries (VS Code Server's node, extension tools) so they run on NixOS";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        elfmend = pkgs.callPackage ./package.nix { };
        default = elfmend;
      });

      overlays.default = final: prev: { elfmend = final.callPackage ./package.nix { }; };
      # The pre-2022 name of the same thing, for configurations that still use it.
      overlay = self.overlays.default;

      # The modules build the package from this checkout when pkgs has no elfmend (the overlay's).
      nixosModules.default = ./module.nix;
      nixosModules.elfmend = ./module.nix;
      homeManagerModules.default = ./home-manager.nix;
      homeManagerModules.elfmend = ./home-manager.nix;
    };
}
