package dev.elfmend.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfmend.testing.NixRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store paths reachable from profiles, through the references the store database records. */
class ProfileClosureTest {

    @TempDir
    Path dir;

    @Test
    void theClosureFollowsReferencesFromEveryProfile() throws IOException {
        NixRoot nix = NixRoot.create(dir);
        String extra = nix.addGlibc("glibc-2.99");
        nix.addReference(nix.gccLib(), nix.glibc());
        // A profile is a chain of links: profiles/default -> default-1-link -> the store path.
        Path profiles = Files.createDirectories(nix.host("/nix/var/nix/profiles"));
        Files.createSymbolicLink(profiles.resolve("default-1-link"), Path.of(NixRoot.inStore(nix.gccLib())));
        Files.createSymbolicLink(profiles.resolve("default"), Path.of("default-1-link"));

        Set<String> closure = ProfileClosure.of(nix.root(), NixRoot.STORE_DIR,
                List.of("/nix/var/nix/profiles/default", "/run/current-system/sw"));

        assertEquals(Set.of(nix.gccLib(), nix.glibc()), closure);
        assertEquals(Set.of(), ProfileClosure.of(nix.root(), NixRoot.STORE_DIR, List.of("/run/current-system/sw")));
        Files.delete(nix.host("/nix/var/nix/db/db.sqlite"));
        assertEquals(Set.of(nix.gccLib()), ProfileClosure.of(nix.root(), NixRoot.STORE_DIR,
                List.of("/nix/var/nix/profiles/default")), "without the database, the profile's own path only");
        assertEquals(false, closure.contains(extra));
    }
}
