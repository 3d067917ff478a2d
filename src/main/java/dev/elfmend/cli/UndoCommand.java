package dev.elfmend.cli;

import dev.elfmend.fixup.Fixer;
import dev.elfmend.fixup.GcRoots;
import dev.elfmend.fixup.Journal;
import dev.elfmend.fixup.StateLocations;
import dev.elfmend.fixup.Undoer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend undo}: restore the interpreter and run path the journal recorded, and release GC roots. */
@Command(name = "undo", mixinStandardHelpOptions = true,
        description = "Restore what elfmend changed in files under PATHs, as recorded in its journal.")
final class UndoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Parameters(paramLabel = "PATH", arity = "1..*")
    List<Path> paths;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        StateLocations locations = store.locations();
        store.removeStrayStateTempFiles();
        Journal journal = Journal.load(store.stateRoot(), locations.journal());
        List<Undoer.Result> results = new Undoer(store.root(), journal).undo(paths);
        int status = ExitCodes.OK;
        for (Undoer.Result r : results) {
            if (r.restored()) {
                out.println("restored " + r.file() + ": " + String.join("; ", r.changes()));
            } else {
                out.println("not restored " + r.file() + ": " + r.problem());
                if (!r.problem().endsWith("forgotten")) {
                    status = ExitCodes.FAILURE;
                }
            }
        }
        journal.save();
        Fixer fixer = new Fixer(store.root(), store.storeDir, null, null, Fixer.Target.NIX, false, journal);
        int[] changed = new GcRoots(store.stateRoot(), locations.gcRoots(), store.storeDir)
                .sync(fixer.liveStorePaths());
        journal.save();
        out.println(results.stream().filter(Undoer.Result::restored).count() + " files restored; "
                + changed[1] + " GC roots released");
        out.flush();
        return status;
    }
}
