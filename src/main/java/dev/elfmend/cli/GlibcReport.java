package dev.elfmend.cli;

import dev.elfmend.elf.DynamicSymbol;
import dev.elfmend.fixup.ElfFiles;
import dev.elfmend.fixup.OpenElf;
import dev.elfmend.store.StorePath;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code check --target-glibc}: every symbol whose GLIBC version is newer than a target, per file —
 * the "pthread_sigmask needs GLIBC_2.32" answer for shipping a Nix-built binary to an older system.
 */
final class GlibcReport {

    private GlibcReport() {}

    static int run(List<Path> paths, String target, boolean json, PrintWriter out, PrintWriter err) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            ElfFiles.walk(p, files::add);
        }
        List<Object> rows = new ArrayList<>();
        boolean any = false;
        for (Path f : files) {
            Map<String, Object> row = new LinkedHashMap<>();
            List<Object> symbols = new ArrayList<>();
            try (OpenElf open = OpenElf.open(f, false)) {
                for (DynamicSymbol s : open.elf().dynamicSymbols()) {
                    if (s.isDefined() || s.version() == null || !s.version().startsWith("GLIBC_")) {
                        continue;
                    }
                    String v = s.version().substring("GLIBC_".length());
                    if (!Character.isDigit(v.isEmpty() ? 'x' : v.charAt(0))
                            || StorePath.compareVersions(v, target) <= 0) {
                        continue;
                    }
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("symbol", s.name());
                    m.put("version", s.version());
                    m.put("library", s.versionFile());
                    symbols.add(m);
                    if (!json) {
                        out.println(f + ": " + s.name() + " needs " + s.version() + " (" + s.versionFile() + ")");
                    }
                }
            } catch (IOException e) {
                err.println("elfmend: " + f + ": " + Errors.describe(e));
                continue;
            }
            any |= !symbols.isEmpty();
            row.put("path", f.toString());
            row.put("symbols", symbols);
            rows.add(row);
        }
        if (json) {
            out.println(Json.write(rows));
        } else if (!any) {
            out.println("nothing needs a glibc newer than " + target);
        }
        out.flush();
        return any ? ExitCodes.UNRESOLVED : ExitCodes.OK;
    }
}
