import dev.elfmend.elf.ElfEdits;
import dev.elfmend.fixup.ElfPatcher;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Patches copies of one binary with set-interpreter + set-rpath in this JVM, many times, and prints
 * the per-file times and the heap peak. Run by bench/patch-node.sh side by side with patchelf.
 * Usage: java -cp target/elfmend.jar bench/PatchBench.java BINARY INTERPRETER RUNPATH ITERATIONS WORKDIR
 */
public class PatchBench {
    public static void main(String[] args) throws Exception {
        Path binary = Path.of(args[0]);
        String interpreter = args[1];
        String runPath = args[2];
        int iterations = Integer.parseInt(args[3]);
        Path work = Path.of(args[4]);
        ElfEdits edits = ElfEdits.builder().interpreter(interpreter).runPath(runPath).build();
        ElfPatcher patcher = new ElfPatcher(null);
        List<Double> millis = new ArrayList<>();
        resetPeaks();
        for (int i = 0; i < iterations + 2; i++) {
            Path copy = work.resolve("elfmend-" + i);
            Files.copy(binary, copy, StandardCopyOption.REPLACE_EXISTING);
            long t0 = System.nanoTime();
            patcher.patch(copy, edits);
            long t1 = System.nanoTime();
            if (i >= 2) { // the first two warm the JIT
                millis.add((t1 - t0) / 1e6);
            }
            Files.delete(copy);
        }
        Collections.sort(millis);
        System.out.printf("elfmend_median_ms=%.1f%n", millis.get(millis.size() / 2));
        System.out.printf("elfmend_min_ms=%.1f%n", millis.get(0));
        System.out.printf("elfmend_max_ms=%.1f%n", millis.get(millis.size() - 1));
        System.out.printf("elfmend_heap_peak_kb=%d%n", heapPeak() / 1024);
        System.out.printf("elfmend_rss_peak_kb=%d%n", rssPeakKb());
    }

    static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
    }

    static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    static long rssPeakKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
