package dev.elfmend.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The cache file: what is written reads back the same; anything else reads as "no index", never as an error. */
class IndexCodecTest {

    private static final String GLIBC = "0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40";
    private static final String OPENSSL = "1123456789abcdfghijklmnpqrsvwxyz-openssl-3.0.14";

    static LibraryIndex sample() {
        StoreLibrary libc = new StoreLibrary(GLIBC, "/nix/store/" + GLIBC + "/lib", "libc.so.6", "libc.so.6", 2,
                false, 62, 3, List.of("GLIBC_2.2.5", "GLIBC_2.34"), List.of("ld-linux-x86-64.so.2"), null,
                List.of("ld-linux-x86-64.so.2:GLIBC_2.3"));
        StoreLibrary ssl = new StoreLibrary(OPENSSL, "/nix/store/" + OPENSSL + "/lib/ossl-modules", "legacy.so", null,
                1, true, 22, 0, List.of(), List.of(), "$ORIGIN/..:/nix/store/" + GLIBC + "/lib", List.of());
        return new LibraryIndex("/nix/store", Map.of(GLIBC, List.of(libc), OPENSSL, List.of(ssl)),
                new LibraryIndex.Stamp(1234567L, 7654321L, ValidPaths.Source.DATABASE));
    }

    static byte[] encode(LibraryIndex index) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IndexCodec.write(index, out);
        return out.toByteArray();
    }

    @Test
    void whatIsWrittenReadsBackTheSame() throws IOException {
        LibraryIndex index = sample();
        LibraryIndex back = IndexCodec.read(new ByteArrayInputStream(encode(index)));

        assertNotNull(back);
        assertEquals(index.storeDir(), back.storeDir());
        assertEquals(index.stamp(), back.stamp());
        assertEquals(index.byStorePath(), back.byStorePath());
        assertEquals(index.candidates("legacy.so"), back.candidates("legacy.so"));
    }

    @Test
    void truncatedOrForeignOrDamagedDataReadsAsNoIndex() throws IOException {
        byte[] good = encode(sample());
        for (int length = 0; length < good.length; length += 7) {
            assertNull(IndexCodec.read(new ByteArrayInputStream(Arrays.copyOf(good, length))), "truncated at " + length);
        }
        assertNull(IndexCodec.read(new ByteArrayInputStream("elfmend-journal 1\n".getBytes())));
        byte[] otherFormat = good.clone();
        otherFormat[2 + "elfmend-index".length() + 3] = 99;
        assertNull(IndexCodec.read(new ByteArrayInputStream(otherFormat)));
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] damaged = good.clone();
            damaged[random.nextInt(damaged.length)] ^= (byte) (1 + random.nextInt(255));
            IndexCodec.read(new ByteArrayInputStream(damaged)); // null or an index, but never an exception
        }
    }
}
