package dev.elfmend.cli;

import dev.elfmend.fixup.IndexStore;
import dev.elfmend.store.StoreLibrary;
import dev.elfmend.store.StorePath;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend index}: build or refresh the store's library index and summarise it, or look a library up. */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Build or refresh the index of shared libraries in the Nix store and show a summary.")
final class IndexCommand implements Callable<Integer> {

    /** A version name with a number: family, then version ({@code GLIBCXX_3.4.30}, {@code CXXABI_TM_1}). */
    private static final Pattern VERSIONED = Pattern.compile("(.+?)_(\\d[\\d.]*)");

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--find", paramLabel = "SONAME", description = "List the store's libraries with this file name.")
    String find;

    @Option(names = "--rebuild", description = "Ignore the cache and scan the whole store.")
    boolean rebuild;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        IndexStore.Loaded loaded = store.loadIndex(rebuild);
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (loaded.cacheProblem() != null) {
            spec.commandLine().getErr().println("elfmend: warning: " + loaded.cacheProblem());
        }
        if (find != null) {
            List<StoreLibrary> found = loaded.index().candidates(find);
            if (json) {
                List<Object> rows = new ArrayList<>();
                for (StoreLibrary l : found) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("path", l.path());
                    m.put("storePath", l.storePath());
                    m.put("soname", l.soname());
                    m.put("class", l.elfClass() == 2 ? "ELF64" : "ELF32");
                    m.put("endian", l.bigEndian() ? "big" : "little");
                    m.put("machine", dev.elfmend.elf.Machine.of(l.machine(), l.elfClass() == 2
                            ? dev.elfmend.elf.ElfClass.ELF64 : dev.elfmend.elf.ElfClass.ELF32).name());
                    m.put("versions", l.versionDefinitions());
                    rows.add(m);
                }
                out.println(Json.write(rows));
            } else {
                for (StoreLibrary l : found) {
                    List<String> newest = newestPerFamily(l.versionDefinitions());
                    out.println(l.path() + (l.versionDefinitions().isEmpty() ? ""
                            : "  (" + l.versionDefinitions().size() + " versions"
                            + (newest.isEmpty() ? "" : ", newest " + String.join(", ", newest)) + ")"));
                }
            }
            out.flush();
            return found.isEmpty() ? ExitCodes.FAILURE : ExitCodes.OK;
        }
        var r = loaded.refresh();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("storeDir", r.index().storeDir());
            m.put("storePaths", r.index().storePathCount());
            m.put("libraries", r.index().libraryCount());
            m.put("added", r.added());
            m.put("removed", r.removed());
            m.put("unchanged", r.unchanged());
            m.put("source", r.index().stamp().source().name().toLowerCase(java.util.Locale.ROOT));
            m.put("cache", store.locations().indexCache().toString());
            m.put("millis", millis);
            out.println(Json.write(m));
        } else {
            out.printf("%s: %d store paths, %d libraries (%s; %s, %d new, %d gone) in %d ms%n",
                    r.index().storeDir(), r.index().storePathCount(), r.index().libraryCount(),
                    r.index().stamp().source() == dev.elfmend.store.ValidPaths.Source.DATABASE
                            ? "valid paths from the store database" : "valid paths from the directory listing",
                    r.unchanged() ? "unchanged" : "refreshed", r.added(), r.removed(), millis);
        }
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * The newest version of each family a library defines ({@code GLIBCXX_3.4.30, CXXABI_1.3.13}): the
     * definition order is the linker script's, not the age, and names like {@code GLIBC_PRIVATE} have none.
     */
    static List<String> newestPerFamily(List<String> definitions) {
        Map<String, String> newest = new LinkedHashMap<>();
        for (String d : definitions) {
            Matcher m = VERSIONED.matcher(d);
            if (m.matches()) {
                newest.merge(m.group(1), m.group(2), (a, b) -> StorePath.compareVersions(a, b) >= 0 ? a : b);
            }
        }
        List<String> out = new ArrayList<>();
        newest.forEach((family, version) -> out.add(family + "_" + version));
        return out;
    }
}
