package dev.elfmend.cli;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfType;
import dev.elfmend.fixup.ElfPatcher;
import dev.elfmend.fixup.OpenElf;
import dev.elfmend.fixup.RunPaths;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code elfmend patchelf}: patchelf's options and output over elfmend's engine, so a script can put
 * it where it calls patchelf and get atomic, verified writes. Prints show the file as it was.
 */
@Command(name = "patchelf", mixinStandardHelpOptions = false, usageHelpAutoWidth = true,
        description = "patchelf-compatible front end: same options, same output, atomic writes.")
final class PatchelfCommand implements Callable<Integer> {

    static final String PATCHELF_VERSION = "0.18.0";

    @Spec
    CommandSpec spec;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Option(names = "--version", description = "Print the patchelf version this front end follows.")
    boolean version;

    @Option(names = "--set-interpreter", paramLabel = "INTERPRETER")
    String setInterpreter;

    @Option(names = "--print-interpreter")
    boolean printInterpreter;

    @Option(names = "--set-rpath", paramLabel = "RUNPATH")
    String setRpath;

    @Option(names = "--add-rpath", paramLabel = "RUNPATH")
    String addRpath;

    @Option(names = "--remove-rpath")
    boolean removeRpath;

    @Option(names = "--shrink-rpath")
    boolean shrinkRpath;

    @Option(names = "--allowed-rpath-prefixes", paramLabel = "PREFIXES")
    String allowedRpathPrefixes;

    @Option(names = "--print-rpath")
    boolean printRpath;

    @Option(names = "--force-rpath")
    boolean forceRpath;

    @Option(names = "--add-needed", paramLabel = "LIBRARY")
    List<String> addNeeded = new ArrayList<>();

    @Option(names = "--remove-needed", paramLabel = "LIBRARY")
    List<String> removeNeeded = new ArrayList<>();

    @Option(names = "--replace-needed", arity = "2", paramLabel = "LIBRARY")
    List<String> replaceNeeded = new ArrayList<>();

    @Option(names = "--print-needed")
    boolean printNeeded;

    @Option(names = "--set-soname", paramLabel = "SONAME")
    String setSoname;

    @Option(names = "--print-soname")
    boolean printSoname;

    @Option(names = "--output", paramLabel = "FILE")
    Path output;

    @Option(names = "--page-size", paramLabel = "SIZE")
    long pageSize;

    @Option(names = "--replace-version-need", arity = "3", paramLabel = "ARG",
            description = "LIBRARY OLD NEW: rename a needed symbol version (elfmend extension; dangerous: "
                    + "symbols bound to OLD will be looked up as NEW).")
    List<String> replaceVersionNeed = new ArrayList<>();

    @Parameters(paramLabel = "FILENAME", arity = "0..*")
    List<Path> files = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (version) {
            out.println("patchelf " + PATCHELF_VERSION + " (elfmend front end)");
            out.flush();
            return ExitCodes.OK;
        }
        if (files.isEmpty()) {
            err.println("patchelf: missing filename");
            return ExitCodes.FAILURE;
        }
        if (output != null && files.size() > 1) {
            err.println("patchelf: --output option only allowed with single input file");
            return ExitCodes.FAILURE;
        }
        if (!replaceVersionNeed.isEmpty()) {
            err.println("patchelf: warning: --replace-version-need rebinds symbols to another version; the "
                    + "program may crash if the library's implementation differs");
        }
        for (Path file : files) {
            try {
                patchOne(file, out);
            } catch (IOException | IllegalArgumentException e) {
                out.flush();
                String reason = e instanceof IOException io ? Errors.describe(io) : e.getMessage();
                err.println("patchelf: " + file + ": " + reason);
                err.flush();
                return ExitCodes.FAILURE;
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private void patchOne(Path file, PrintWriter out) throws IOException {
        ElfEdits.Builder edits = ElfEdits.builder();
        try (OpenElf open = OpenElf.open(file, true)) {
            ElfFile elf = open.elf();
            if (printInterpreter) {
                out.println(elf.interpreter().orElseThrow(() -> new IOException(
                        "cannot find section '.interp'. The input file is most likely statically linked")));
            }
            boolean library = elf.header().type() == ElfType.DYN;
            if (printSoname && library) {
                // Like patchelf: nothing for executables or an empty soname.
                elf.soname().filter(s -> !s.isEmpty()).ifPresent(out::println);
            }
            if (printRpath) {
                out.println(elf.runPath().or(elf::rPath).orElse(""));
            }
            if (printNeeded) {
                elf.needed().forEach(out::println);
            }
            // patchelf sets a soname only on ET_DYN files and silently ignores the option for executables.
            if (setSoname != null && library) {
                edits.soname(setSoname);
            }
            String current = elf.runPath().or(elf::rPath).orElse(null);
            if (shrinkRpath) {
                List<String> prefixes = allowedRpathPrefixes == null ? List.of()
                        : List.of(allowedRpathPrefixes.split(":"));
                if (current != null) {
                    // Set even when unchanged: like patchelf, shrinking also turns DT_RPATH into DT_RUNPATH.
                    edits.runPath(RunPaths.shrink(current, elf, file, prefixes));
                }
            } else if (removeRpath) {
                edits.removeRunPath();
            } else if (setRpath != null) {
                edits.runPath(setRpath);
            } else if (addRpath != null) {
                edits.runPath(current == null || current.isEmpty() ? addRpath : current + ":" + addRpath);
            }
        }
        edits.runPathTag(forceRpath ? ElfEdits.RunPathTag.RPATH : ElfEdits.RunPathTag.RUNPATH);
        if (setInterpreter != null) {
            edits.interpreter(setInterpreter);
        }
        removeNeeded.forEach(edits::removeNeeded);
        for (int i = 0; i + 1 < replaceNeeded.size(); i += 2) {
            edits.replaceNeeded(replaceNeeded.get(i), replaceNeeded.get(i + 1));
        }
        // patchelf keeps the libraries to add in a sorted set and puts them first in that order.
        new TreeSet<>(addNeeded).forEach(edits::addNeeded);
        for (int i = 0; i + 2 < replaceVersionNeed.size(); i += 3) {
            edits.renameVersionNeed(replaceVersionNeed.get(i), replaceVersionNeed.get(i + 1),
                    replaceVersionNeed.get(i + 2));
        }
        edits.pageSize(pageSize);
        // Like patchelf, a symlink names the file to edit: the link stays, its target is replaced. Same path
        // for source and target when editing in place, so an edit that changes nothing touches nothing.
        Path source = file.toRealPath();
        Path target = output != null ? output : source;
        new ElfPatcher(null).patch(source, target, edits.build());
    }
}
