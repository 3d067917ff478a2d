package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Json writes what a JSON parser reads back as the same value, for every kind of value reports hold. */
class JsonTest {

    @Test
    void stringsWithQuotesBackslashesAndControlCharactersRoundTrip() {
        for (String s : List.of("", "plain", "say \"hi\"", "C:\\path\\to", "line\nbreak\r\ttab", "\u0000\u0001\u001f",
                "$ORIGIN/../lib:/nix/store/abc-glibc-2.40/lib", "ünïcödé ✓ \ud83d\ude00", "\u007f")) {
            String json = Json.write(s);
            assertEquals(s, JsonParser.parse(json), json);
        }
        assertEquals("\"a\\u0001b\"", Json.write("a\u0001b"));
    }

    @Test
    void scalarsAreWrittenAsJsonScalars() {
        assertEquals("null", Json.write(null));
        assertEquals("true", Json.write(true));
        assertEquals("false", Json.write(false));
        assertEquals("0", Json.write(0));
        assertEquals("-17", Json.write(-17L));
        assertEquals(Long.MAX_VALUE, JsonParser.parse(Json.write(Long.MAX_VALUE)));
    }

    @Test
    void nestedMapsAndListsRoundTripInOrder() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("path", "/bin/node");
        report.put("needed", List.of("libstdc++.so.6", "libc.so.6"));
        report.put("runpath", null);
        report.put("empty", List.of());
        report.put("nothing", Map.of());
        Map<String, Object> needs = new LinkedHashMap<>();
        needs.put("libc.so.6", List.of("GLIBC_2.2.5", "GLIBC_2.34"));
        needs.put("libm.so.6", List.of("GLIBC_2.29"));
        report.put("versionNeeds", needs);
        report.put("trailingPayload", 4294967296L);
        report.put("staticLinking", false);
        report.put("mixed", Arrays.asList(1L, "two", null, List.of(3L), Map.of("four", 4L)));
        List<Object> array = new ArrayList<>(List.of(report, Map.of("path", "x", "error", "not an ELF file")));
        Object parsed = JsonParser.parse(Json.write(array));
        assertEquals(array, parsed);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) ((List<Object>) parsed).getFirst();
        assertEquals(List.copyOf(report.keySet()), List.copyOf(first.keySet()), "key order kept");
        assertEquals(List.copyOf(needs.keySet()),
                List.copyOf(((Map<?, ?>) first.get("versionNeeds")).keySet()), "nested key order kept");
    }

    @Test
    void otherValuesAreWrittenAsTheirStrings() {
        assertEquals("/nix/store/x", JsonParser.parse(Json.write(Path.of("/nix/store/x"))));
        assertEquals(Map.of("1", "one"), JsonParser.parse(Json.write(Map.of(1, "one"))));
    }

    @Test
    void theTestParserRejectsWhatIsNotJson() {
        for (String text : List.of("", "{", "[1,]", "{\"a\" 1}", "'single'", "\"unterminated", "[1] 2", "tru",
                "{\"a\":1,\"a\":2}", "\"raw\ttab\"")) {
            assertThrows(IllegalArgumentException.class, () -> JsonParser.parse(text), text);
        }
    }
}
