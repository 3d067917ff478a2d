package dev.elfmend.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The sonames in systemd-style .note.dlopen payloads. */
class DlopenNotesTest {

    @Test
    void everySonameOfEveryEntryOnceInOrder() {
        String first = "[{\"feature\":\"tls\",\"soname\":[\"libssl.so.3\",\"libcrypto.so.3\"]},"
                + " {\"feature\":\"idn\", \"soname\" : [ \"libidn2.so.0\" ], \"priority\":\"suggested\"}]";
        String second = "[{\"soname\":[\"libcrypto.so.3\",\"libz.so.1\"]}]";

        assertEquals(List.of("libssl.so.3", "libcrypto.so.3", "libidn2.so.0", "libz.so.1"),
                DlopenNotes.sonames(List.of(first, second)));
    }

    @Test
    void payloadsWithoutSonamesGiveNothing() {
        assertEquals(List.of(), DlopenNotes.sonames(List.of("[]", "[{\"feature\":\"x\"}]", "not json")));
    }
}
