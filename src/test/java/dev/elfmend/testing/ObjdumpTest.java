package dev.elfmend.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Objdump.Symbol;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObjdumpTest {

    @Test
    void undefinedGlibcSymbolsShowTheirVersion() {
        List<Symbol> symbols = Objdump.dynamicSymbols(Fixtures.glibcVersioned());
        assertTrue(symbols.contains(new Symbol("pthread_sigmask", "GLIBC_2.32", true, true)), symbols.toString());
    }

    @Test
    void definitionsTellHiddenFromDefault() {
        List<Symbol> symbols = Objdump.dynamicSymbols(Fixtures.versionedLibrary());
        assertTrue(symbols.contains(new Symbol("ver_both", "LIBVER_1.0", true, false)), symbols.toString());
        assertTrue(symbols.contains(new Symbol("ver_both", "LIBVER_2.0", false, false)), symbols.toString());
    }

    @Test
    void parsesUnversionedBaseAndVisibility() {
        String text = """
                DYNAMIC SYMBOL TABLE:
                0000000000000000  w   D  *UND*\t0000000000000000              __gmon_start__
                0000000003400000 g    D  lpstub\t0000000000000000  Base        .protected __start_lpstub
                """;
        assertEquals(List.of(new Symbol("__gmon_start__", "", false, true),
                new Symbol("__start_lpstub", "", false, false)), Objdump.parse(text));
    }
}
