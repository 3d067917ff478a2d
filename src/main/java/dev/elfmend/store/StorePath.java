package dev.elfmend.store;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One store path, by its base name ({@code <hash>-<name>}), with the package name and version Nix
 * would parse from it (the name splits at the first dash followed by a digit).
 */
public record StorePath(String baseName) implements Comparable<StorePath> {

    private static final Pattern BASE = Pattern.compile("[0-9a-z]{32}-[A-Za-z0-9+._?=-]+");

    public StorePath {
        if (!isValidBaseName(baseName)) {
            throw new IllegalArgumentException("not a store path name: " + baseName);
        }
    }

    public static boolean isValidBaseName(String name) {
        return name != null && BASE.matcher(name).matches() && !name.endsWith(".drv") && !name.endsWith(".lock");
    }

    public String hash() {
        return baseName.substring(0, 32);
    }

    /** Name after the hash: {@code glibc-2.40-66}. */
    public String name() {
        return baseName.substring(33);
    }

    public String packageName() {
        String n = name();
        for (int i = 0; i + 1 < n.length(); i++) {
            if (n.charAt(i) == '-' && Character.isDigit(n.charAt(i + 1))) {
                return n.substring(0, i);
            }
        }
        return n;
    }

    public String version() {
        String n = name();
        String p = packageName();
        return p.length() == n.length() ? "" : n.substring(p.length() + 1);
    }

    /** Path as seen inside the root, under {@code storeDir} (normally {@code /nix/store}). */
    public String pathIn(String storeDir) {
        return storeDir + "/" + baseName;
    }

    /** Orders by version, numerically where both parts are numbers; ties broken by the full name. */
    public static int compareVersions(String a, String b) {
        List<String> x = split(a);
        List<String> y = split(b);
        for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
            String p = i < x.size() ? x.get(i) : "";
            String q = i < y.size() ? y.get(i) : "";
            int c;
            if (!p.isEmpty() && !q.isEmpty() && Character.isDigit(p.charAt(0)) && Character.isDigit(q.charAt(0))) {
                c = new java.math.BigInteger(p).compareTo(new java.math.BigInteger(q));
            } else {
                c = p.compareTo(q);
            }
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static List<String> split(String v) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        Boolean digits = null;
        for (char ch : v.toCharArray()) {
            if (ch == '.' || ch == '-' || ch == '_') {
                if (!cur.isEmpty()) {
                    parts.add(cur.toString());
                }
                cur.setLength(0);
                digits = null;
                continue;
            }
            boolean d = Character.isDigit(ch);
            if (digits != null && d != digits && !cur.isEmpty()) {
                parts.add(cur.toString());
                cur.setLength(0);
            }
            cur.append(ch);
            digits = d;
        }
        if (!cur.isEmpty()) {
            parts.add(cur.toString());
        }
        return parts;
    }

    @Override
    public int compareTo(StorePath o) {
        int c = compareVersions(version(), o.version());
        return c != 0 ? c : baseName.compareTo(o.baseName);
    }
}
