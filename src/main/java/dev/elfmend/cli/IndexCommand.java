package dev.elfmend.cli;

import dev.elfmend.fixup.IndexStore;
import dev.elfmend.store.StoreLibrary;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend index}: build or refresh the store's library index and summarise it, or look a library up. */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Build or refresh the index of shared libraries in the Nix store and show a summary.")
final class IndexCommand implements Callable<Integer> {

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
                    out.println(l.path() + (l.versionDefinitions().isEmpty() ? ""
                            : "  (" + l.versionDefinitions().size() + " versions, newest "
                            + l.versionDefinitions().get(l.versionDefinitions().size() - 1) + ")"));
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
}
