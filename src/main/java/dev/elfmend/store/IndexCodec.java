package dev.elfmend.store;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The on-disk form of a {@link LibraryIndex}: a compact binary file with a format mark, so a warm
 * start reads it in milliseconds. A file of another format or a damaged one reads as "no index".
 */
public final class IndexCodec {

    private static final String MAGIC = "elfmend-index";
    private static final int FORMAT = 1;

    private IndexCodec() {}

    public static void write(LibraryIndex index, OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeUTF(MAGIC);
        d.writeInt(FORMAT);
        d.writeUTF(index.storeDir());
        d.writeLong(index.stamp().storeDirModified());
        d.writeLong(index.stamp().databaseModified());
        d.writeUTF(index.stamp().source().name());
        d.writeInt(index.byStorePath().size());
        for (Map.Entry<String, List<StoreLibrary>> e : index.byStorePath().entrySet()) {
            d.writeUTF(e.getKey());
            d.writeInt(e.getValue().size());
            for (StoreLibrary lib : e.getValue()) {
                d.writeUTF(lib.directory());
                d.writeUTF(lib.fileName());
                writeNullable(d, lib.soname());
                d.writeByte(lib.elfClass());
                d.writeBoolean(lib.bigEndian());
                d.writeInt(lib.machine());
                d.writeByte(lib.osAbi());
                writeList(d, lib.versionDefinitions());
                writeList(d, lib.needed());
                writeNullable(d, lib.runPath());
                writeList(d, lib.requiredVersions());
            }
        }
        d.flush();
    }

    /** Reads an index, or returns null when the data is not a readable index of this format. */
    public static LibraryIndex read(InputStream in) {
        try {
            DataInputStream d = new DataInputStream(in);
            if (!MAGIC.equals(d.readUTF()) || d.readInt() != FORMAT) {
                return null;
            }
            String storeDir = d.readUTF();
            LibraryIndex.Stamp stamp = new LibraryIndex.Stamp(d.readLong(), d.readLong(),
                    ValidPaths.Source.valueOf(d.readUTF()));
            int paths = d.readInt();
            Map<String, List<StoreLibrary>> byPath = new LinkedHashMap<>();
            for (int i = 0; i < paths; i++) {
                String base = d.readUTF();
                int n = d.readInt();
                List<StoreLibrary> libs = new ArrayList<>(Math.min(n, 4096));
                for (int k = 0; k < n; k++) {
                    libs.add(new StoreLibrary(base, d.readUTF(), d.readUTF(), readNullable(d), d.readByte(),
                            d.readBoolean(), d.readInt(), d.readByte(), readList(d), readList(d), readNullable(d), readList(d)));
                }
                byPath.put(base, List.copyOf(libs));
            }
            return new LibraryIndex(storeDir, byPath, stamp);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void writeNullable(DataOutputStream d, String s) throws IOException {
        d.writeBoolean(s != null);
        if (s != null) {
            d.writeUTF(s);
        }
    }

    private static String readNullable(DataInputStream d) throws IOException {
        return d.readBoolean() ? d.readUTF() : null;
    }

    private static void writeList(DataOutputStream d, List<String> list) throws IOException {
        d.writeInt(list.size());
        for (String s : list) {
            d.writeUTF(s);
        }
    }

    private static List<String> readList(DataInputStream d) throws IOException {
        int n = d.readInt();
        if (n < 0 || n > 1 << 20) {
            throw new IOException("implausible list length " + n);
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(d.readUTF());
        }
        return out;
    }
}
