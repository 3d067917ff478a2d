package dev.elfmend.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code objdump -T} parsed into symbol → version: a second opinion, next to readelf, on which symbols need
 * which GLIBC version (what a {@code --target-glibc} report must agree with).
 */
public final class Objdump {

    // address, 7 flag characters, section, tab, size, then an optional version ("VER", "(VER)", "Base"),
    // an optional visibility (".hidden", ".protected") and the name.
    private static final Pattern SYMBOL = Pattern.compile("^(\\p{XDigit}+) (.{7}) (\\S+)\\t(\\p{XDigit}+)"
            + "\\s+(?:(\\(\\S+\\)|[^\\s.(]\\S*)\\s+)?(?:\\.\\w+ )?(\\S+)$");

    private Objdump() {
    }

    /**
     * One dynamic symbol. {@code version} is empty for "Base" or none; {@code hidden} when objdump shows it
     * in parentheses (a hidden definition, or any versioned undefined reference).
     */
    public record Symbol(String name, String version, boolean hidden, boolean undefined) {
    }

    public static List<Symbol> dynamicSymbols(Path file) {
        Requirements.requireTool("objdump");
        return parse(Processes.command("objdump", "-T", file.toString()).env("LC_ALL", "C").runOk().out());
    }

    public static List<Symbol> parse(String text) {
        List<Symbol> symbols = new ArrayList<>();
        for (String line : text.lines().toList()) {
            Matcher m = SYMBOL.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String version = m.group(5) == null ? "" : m.group(5);
            boolean hidden = version.startsWith("(");
            if (hidden) {
                version = version.substring(1, version.length() - 1);
            } else if (version.equals("Base")) {
                version = "";
            }
            symbols.add(new Symbol(m.group(6), version, hidden, m.group(3).equals("*UND*")));
        }
        return List.copyOf(symbols);
    }
}
