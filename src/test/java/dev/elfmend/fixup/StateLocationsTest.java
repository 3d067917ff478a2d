package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where state goes: the journal with the root it describes, the cache on this machine, roots in the root's store. */
class StateLocationsTest {

    private static final Map<String, String> ENV = Map.of("HOME", "/home/u", "XDG_CACHE_HOME", "/home/u/.xdg-cache");

    @Test
    void asRootEverythingLivesInTheSystemPlaces() {
        StateLocations l = StateLocations.defaults(Path.of("/"), true, "root", ENV);

        assertEquals(Path.of("/var/lib/elfmend/journal"), l.journal());
        assertEquals(Path.of("/var/cache/elfmend/index-host.bin"), l.indexCache());
        assertEquals(Path.of("/nix/var/nix/gcroots/elfmend"), l.gcRoots());
    }

    @Test
    void asAUserStateAndCacheFollowXdgAndRootsArePerUser() {
        StateLocations l = StateLocations.defaults(Path.of("/"), false, "u", ENV);

        assertEquals(Path.of("/home/u/.local/state/elfmend/journal"), l.journal());
        assertEquals(Path.of("/home/u/.xdg-cache/elfmend/index-host.bin"), l.indexCache());
        assertEquals(Path.of("/nix/var/nix/gcroots/per-user/u/elfmend"), l.gcRoots());
    }

    @Test
    void anotherRootKeepsItsJournalInsideAndHasItsOwnCache() {
        StateLocations a = StateLocations.defaults(Path.of("/srv/rootfs-a"), false, "u", ENV);
        StateLocations b = StateLocations.defaults(Path.of("/srv/rootfs-b"), false, "u", ENV);

        assertEquals(Path.of("/srv/rootfs-a/var/lib/elfmend/journal"), a.journal());
        assertEquals(Path.of("/srv/rootfs-a/nix/var/nix/gcroots/per-user/u/elfmend"), a.gcRoots());
        assertNotEquals(a.indexCache(), b.indexCache());
        assertEquals(Path.of("/home/u/.xdg-cache/elfmend"), a.indexCache().getParent());
    }
}
