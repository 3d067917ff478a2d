package dev.elfmend.store;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The store paths reachable from profiles ({@code /run/current-system/sw}, {@code ~/.nix-profile},
 * ...): the resolver prefers libraries the system already uses. The closure comes from the store
 * database's references; without a readable database only the profiles' own store paths count.
 */
public final class ProfileClosure {

    private ProfileClosure() {}

    public static Set<String> of(Path root, String storeDir, List<String> profiles) {
        Set<String> starts = new TreeSet<>();
        for (String profile : profiles) {
            String resolved = RootedFiles.resolveInRoot(root, profile);
            if (resolved != null && resolved.startsWith(storeDir + "/")) {
                starts.add(resolved.substring(storeDir.length() + 1).split("/")[0]);
            }
        }
        if (starts.isEmpty()) {
            return starts;
        }
        try {
            return closure(root, RootedFiles.host(root, ValidPaths.DATABASE_FILE), storeDir, starts);
        } catch (SQLException | java.io.IOException | RuntimeException e) {
            return starts;
        }
    }

    private static Set<String> closure(Path root, Path db, String storeDir, Set<String> starts)
            throws SQLException, java.io.IOException {
        Set<String> seen = new TreeSet<>(starts);
        Deque<String> todo = new ArrayDeque<>(starts);
        try (StoreDatabase d = StoreDatabase.open(root, db);
             PreparedStatement q = d.connection().prepareStatement("SELECT v2.path FROM ValidPaths v1 JOIN Refs r ON r.referrer = "
                     + "v1.id JOIN ValidPaths v2 ON v2.id = r.reference WHERE v1.path = ?")) {
            while (!todo.isEmpty()) {
                q.setString(1, storeDir + "/" + todo.pop());
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        String p = rs.getString(1);
                        if (p.startsWith(storeDir + "/")) {
                            String base = p.substring(storeDir.length() + 1);
                            if (seen.add(base)) {
                                todo.push(base);
                            }
                        }
                    }
                }
            }
        }
        return seen;
    }
}
