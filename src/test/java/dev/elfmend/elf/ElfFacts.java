package dev.elfmend.elf;

import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.Requirements;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an edit is about, as binutils' readelf reports it (never our own reader): interpreter, NEEDED in
 * order, DT_RUNPATH and DT_RPATH apart (the tag matters to the loader), SONAME, and the versions needed from
 * each library. Two files with equal facts mean the same thing to the loader for the edits elfmend makes.
 */
public record ElfFacts(Optional<String> interpreter, List<String> needed, Optional<String> runpath,
                       Optional<String> rpath, Optional<String> soname, Map<String, List<String>> versionNeeds) {

    /** One readelf run (-l -d -V) parsed by the shared {@link Readelf} parsers. */
    public static ElfFacts of(Path file) {
        Requirements.requireTool("readelf");
        String text = Processes.command("readelf", "-W", "-l", "-d", "-V", file.toString())
                .env("LC_ALL", "C").runOk().out();
        Readelf.Dynamic dynamic = Readelf.parseDynamic(text);
        Map<String, List<String>> needs = new LinkedHashMap<>();
        for (Readelf.VersionNeed need : Readelf.parseVersionNeeds(text)) {
            needs.put(need.file(), need.names());
        }
        return new ElfFacts(Readelf.parseProgramHeaders(text).interpreter(), dynamic.needed(), dynamic.runpath(),
                dynamic.rpath(), dynamic.soname(), Map.copyOf(needs));
    }

    public ElfFacts withInterpreter(String value) {
        return new ElfFacts(Optional.of(value), needed, runpath, rpath, soname, versionNeeds);
    }

    public ElfFacts withRunpath(String value) {
        return new ElfFacts(interpreter, needed, Optional.ofNullable(value), Optional.empty(), soname, versionNeeds);
    }

    public ElfFacts withRpath(String value) {
        return new ElfFacts(interpreter, needed, Optional.empty(), Optional.ofNullable(value), soname, versionNeeds);
    }

    public ElfFacts withNeeded(List<String> value) {
        return new ElfFacts(interpreter, List.copyOf(value), runpath, rpath, soname, versionNeeds);
    }
}
