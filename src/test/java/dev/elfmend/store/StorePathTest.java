package dev.elfmend.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorePathTest {

    private static StorePath path(String name) {
        return new StorePath("0123456789abcdfghijklmnpqrsvwxyz-" + name);
    }

    @Test
    void namesSplitAtTheFirstDashBeforeADigitLikeNix() {
        assertEquals("gcc", path("gcc-12.2.0-lib").packageName());
        assertEquals("12.2.0-lib", path("gcc-12.2.0-lib").version());
        assertEquals("openssl-3.0.14", path("openssl-3.0.14").name());
        assertEquals("source", path("source").packageName());
        assertEquals("", path("source").version());
    }

    @Test
    void versionsCompareNumericallyPartByPart() {
        assertTrue(StorePath.compareVersions("2.40", "2.9") > 0);
        assertTrue(StorePath.compareVersions("3.4.32", "3.4.30") > 0);
        assertTrue(StorePath.compareVersions("13.0", "9.5") > 0);
        assertEquals(0, StorePath.compareVersions("1.0", "1.0"));
        List<StorePath> sorted = new ArrayList<>(List.of(path("glibc-2.40"), path("glibc-2.9"), path("glibc-2.36")));
        sorted.sort(null);
        assertEquals(List.of("2.9", "2.36", "2.40"), sorted.stream().map(StorePath::version).toList());
    }

    @Test
    void onlyRealStorePathNamesAreAccepted() {
        assertFalse(StorePath.isValidBaseName("0123456789abcdfghijklmnpqrsvwxyz-foo.drv"));
        assertFalse(StorePath.isValidBaseName(".links"));
        assertFalse(StorePath.isValidBaseName("short-hash-glibc-2.40"));
        assertThrows(IllegalArgumentException.class, () -> new StorePath("glibc"));
    }
}
