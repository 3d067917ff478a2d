# elfmend as a Nix package: the shaded jar built with nixpkgs' Maven support, run by a headless JDK 21
# through the launcher script (which adds the JVM flags and a class-data archive for fast start-up).
# No meta.license yet: the project has not chosen one.
#
#   nix build ./nix                       # with the flake (the source is the enclosing git checkout)
#   nix-build -E 'with import <nixpkgs> { }; callPackage ./nix/package.nix { }'
#
# mvnHash is the hash of the Maven dependencies fetched in a fixed-output derivation. It changes
# whenever pom.xml changes its dependencies or plugins. To update it: set it to lib.fakeHash, build,
# and copy the hash from the error ("specified: sha256-AAAA…, got: sha256-…").
{ lib
, maven
, makeWrapper
, jdk21_headless
, coreutils
, gnused
}:
let
  # The version stays in one place: pom.xml (its top, so the regular expression sees little text).
  pomHead = builtins.substring 0 4096 (builtins.readFile ../pom.xml);
  pomVersion = builtins.match
    ".*<artifactId>elfmend</artifactId>[[:space:]]*<version>([^<]+)</version>.*" pomHead;
in
maven.buildMavenPackage {
  pname = "elfmend";
  version = if pomVersion == null then throw "elfmend: no <version> after <artifactId>elfmend in pom.xml"
    else builtins.head pomVersion;

  # Only what the build reads: a change to tests, docs or nix/ does not rebuild the jar.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [ ../pom.xml ../src/main ];
  };

  # Builds and runs with Java 21 (pom.xml: release 21). Another runtime:
  # elfmend.override { jdk21_headless = jdk25_headless; }
  mvnJdk = jdk21_headless;
  mvnHash = lib.fakeHash; # placeholder: see above
  # The tests need gcc, patchelf, a Nix store, Docker and downloads; CI runs them (.ci/run).
  doCheck = false;

  nativeBuildInputs = [ makeWrapper ];

  installPhase = ''
    runHook preInstall
    install -Dm644 target/elfmend.jar $out/share/elfmend/elfmend.jar
    # The launcher finds the jar beside it; bin/elfmend is a wrapper that pins the JRE.
    install -Dm755 src/main/scripts/elfmend $out/share/elfmend/elfmend
    makeWrapper $out/share/elfmend/elfmend $out/bin/elfmend \
      --set JAVA_HOME ${jdk21_headless} \
      --set ELFMEND_JAR $out/share/elfmend/elfmend.jar \
      --prefix PATH : ${lib.makeBinPath [ coreutils gnused ]}
    runHook postInstall
  '';

  meta = {
    description = "Rewrites foreign ELF binaries (VS Code Server's node, extension tools) so they run on NixOS";
    mainProgram = "elfmend";
    platforms = lib.platforms.linux;
  };
}
