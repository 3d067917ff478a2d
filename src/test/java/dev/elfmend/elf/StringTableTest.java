package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The lazily read string table answers exactly what the whole table in memory would: strings and
 * searches that cross its internal block boundaries, and typed errors for offsets outside it.
 */
class StringTableTest {

    private static final int BLOCK = 16 << 10;

    /** A table of {@code count} strings of varying length, placed after {@code base} bytes of other data. */
    private static byte[] file(int base, int count, long seed) {
        StringBuilder text = new StringBuilder("\0");
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            int len = 1 + random.nextInt(300);
            for (int k = 0; k < len; k++) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            text.append('\0');
        }
        byte[] strings = text.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[base + strings.length + 100];
        System.arraycopy(strings, 0, out, base, strings.length);
        return out;
    }

    private static StringTable table(byte[] file, int base, int length) throws IOException {
        return new StringTable(new FileInput(ByteSources.of(file)), base, length, "test strings");
    }

    /** The whole-table answer: first start before {@code limit} where {@code pattern} occurs. */
    private static long naiveFind(byte[] table, byte[] pattern, long limit) {
        outer:
        for (int i = 0; i < Math.min(limit, table.length - pattern.length + 1); i++) {
            for (int k = 0; k < pattern.length; k++) {
                if (table[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void stringsThatCrossBlockBoundariesReadWhole() throws IOException {
        int base = 777;
        byte[] file = file(base, 2_000, 1);
        int length = file.length - base - 100;
        StringTable table = table(file, base, length);
        int checked = 0;
        for (int at = 1; at < length; at++) {
            if (file[base + at - 1] != 0) {
                continue;
            }
            int end = at;
            while (file[base + end] != 0) {
                end++;
            }
            String expected = new String(file, base + at, end - at, StandardCharsets.US_ASCII);
            assertEquals(expected, table.cString(at), "string at " + at);
            checked++;
        }
        assertTrue(length > 4 * BLOCK, "the table spans several blocks");
        assertEquals(2_000, checked);
        assertEquals(file[base + 5000] & 0xff, table.byteAt(5000));
        assertEquals(-1, table.byteAt(length));
    }

    @Test
    void findAgreesWithAScanOfTheWholeTable() throws IOException {
        int base = 64;
        byte[] file = file(base, 1_500, 2);
        int length = file.length - base - 100;
        byte[] whole = java.util.Arrays.copyOfRange(file, base, base + length);
        StringTable table = table(file, base, length);
        Random random = new Random(3);
        for (int i = 0; i < 300; i++) {
            int len = 1 + random.nextInt(200);
            byte[] pattern;
            if (random.nextBoolean()) {
                int from = random.nextInt(length - len);
                pattern = java.util.Arrays.copyOfRange(whole, from, from + len); // present
            } else {
                pattern = new byte[len];
                for (int k = 0; k < len; k++) {
                    pattern[k] = (byte) ('a' + random.nextInt(26));
                }
            }
            long limit = random.nextInt(3) == 0 ? random.nextInt(length) : length;
            assertEquals(naiveFind(whole, pattern, limit), table.find(pattern, limit), "pattern " + i);
        }
        // A suffix match straddling the first block boundary.
        byte[] straddling = java.util.Arrays.copyOfRange(whole, BLOCK - 10, BLOCK + 30);
        assertEquals(naiveFind(whole, straddling, length), table.find(straddling, length));
    }

    @Test
    void offsetsOutsideTheTableAndUnterminatedStringsAreFormatErrors() throws IOException {
        byte[] file = "xx\0abc\0def".getBytes(StandardCharsets.US_ASCII);
        StringTable table = table(file, 2, file.length - 2);
        assertEquals("abc", table.cString(1));
        ElfFormatException outside = assertThrows(ElfFormatException.class, () -> table.cString(8));
        assertEquals(10, outside.offset());
        ElfFormatException open = assertThrows(ElfFormatException.class, () -> table.cString(5));
        assertTrue(open.getMessage().contains("unterminated"), open.getMessage());
        assertThrows(ElfFormatException.class, () -> table(file, 4, file.length));
    }
}
