package dev.elfmend.elf;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.RegistryBinaries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/**
 * The files the reader is checked against: every gcc fixture and the real foreign binaries users meet
 * (node, protoc, npm native addons), each with the link kind it is known to have. Registry binaries are
 * fetched when a test asks for the path, so a failed download skips (or under requireAll fails) only
 * the tests that need it.
 */
final class Corpus {

    /** One file: a name for test reports, how to get it, and how it is linked. */
    record Sample(String name, Supplier<Path> file, LinkKind kind) {
        Path path() {
            return file.get();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private Corpus() {
    }

    static Stream<Named<Sample>> all() {
        return Stream.concat(fixtures().stream(), registryBinaries().stream()).map(s -> Named.of(s.name(), s));
    }

    static List<Sample> fixtures() {
        return Fixtures.standard().stream().map(f -> new Sample(f.name(), f::path, fixtureKind(f.name()))).toList();
    }

    static List<Sample> registryBinaries() {
        List<Sample> out = new ArrayList<>();
        for (String arch : RegistryBinaries.NODE_ARCHES) {
            out.add(new Sample("node-linux-" + arch, () -> RegistryBinaries.nodeLinux(arch),
                    LinkKind.DYNAMIC_EXECUTABLE));
        }
        for (String classifier : RegistryBinaries.PROTOC_CLASSIFIERS) {
            out.add(new Sample("protoc-" + RegistryBinaries.PROTOC_DYNAMIC + "-" + classifier,
                    () -> RegistryBinaries.protoc(classifier), LinkKind.DYNAMIC_EXECUTABLE));
        }
        for (String classifier : RegistryBinaries.PROTOC_CLASSIFIERS) {
            out.add(new Sample("protoc-" + RegistryBinaries.PROTOC_STATIC + "-" + classifier,
                    () -> RegistryBinaries.protoc(RegistryBinaries.PROTOC_STATIC, classifier),
                    LinkKind.STATIC_EXECUTABLE));
        }
        out.add(new Sample("sharp-libvips-cpp", RegistryBinaries::sharpLibvips, LinkKind.SHARED_OBJECT));
        out.add(new Sample("parcel-watcher.node", RegistryBinaries::parcelWatcher, LinkKind.SHARED_OBJECT));
        return out;
    }

    private static LinkKind fixtureKind(String name) {
        if (name.equals("static/hello")) {
            return LinkKind.STATIC_EXECUTABLE;
        }
        if (name.equals("static-pie/hello")) {
            return LinkKind.STATIC_PIE;
        }
        return name.contains(".so.") ? LinkKind.SHARED_OBJECT : LinkKind.DYNAMIC_EXECUTABLE;
    }
}
