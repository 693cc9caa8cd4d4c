package org.sparkcnn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.sparkcnn.fs.Folders;

/**
 * One writer per registry: a lock file created only if absent (O_EXCL locally, the name node's
 * create-if-absent on HDFS), holding its owner (host, pid, start, a token) and a heartbeat that a
 * daemon thread renews. A lock is stale when its heartbeat is older than the timeout, or at once
 * when its owner ran on this host and that process is gone; a stale lock is moved aside and
 * replaced, anything else refuses the run with one line naming the holder. On object stores
 * (no create-if-absent) two runs started at the same instant can both win: schedule them apart.
 */
public final class RegistryLock implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Who holds a lock: a random token (what makes it ours), host, pid, start and last heartbeat (epoch ms). */
    public record Owner(String token, String host, long pid, long started, long heartbeat, String command) {
        byte[] bytes() {
            ObjectNode n = JSON.createObjectNode();
            n.put("token", token);
            n.put("host", host);
            n.put("pid", pid);
            n.put("started", Instant.ofEpochMilli(started).toString());
            n.put("heartbeat", Instant.ofEpochMilli(heartbeat).toString());
            n.put("command", command);
            return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        }

        Owner beat(long now) {
            return new Owner(token, host, pid, started, now, command);
        }

        static Owner parse(byte[] bytes) {
            try {
                JsonNode n = JSON.readTree(bytes);
                return new Owner(n.required("token").asText(), n.required("host").asText(), n.required("pid").asLong(),
                        Instant.parse(n.required("started").asText()).toEpochMilli(),
                        Instant.parse(n.required("heartbeat").asText()).toEpochMilli(), n.path("command").asText(""));
            } catch (IOException | RuntimeException e) {
                return null; // being written, or not ours: judged by the file's age alone
            }
        }

        String describe(long now) {
            return "pid " + pid + " on host " + host + ", started " + Instant.ofEpochMilli(started) + ", last heartbeat "
                    + Math.max(0, (now - heartbeat) / 1000) + " s ago";
        }
    }

    private final FileSystem fs;
    private final Path file;
    private volatile Owner owner;
    private volatile String lost;
    private final ScheduledExecutorService beats;

    private RegistryLock(FileSystem fs, Path file, Owner owner, long beatMillis) {
        this.fs = fs;
        this.file = file;
        this.owner = owner;
        this.beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparkcnn registry lock heartbeat");
            t.setDaemon(true);
            return t;
        });
        beats.scheduleWithFixedDelay(this::beat, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lock {@code file}, or throws {@link RegistryLockedException} naming its holder. A
     * stale lock ({@code staleMillis} without a heartbeat, or a dead process on this host) is
     * removed first and reported to {@code warn}.
     */
    public static RegistryLock acquire(FileSystem fs, Path file, long staleMillis, String command, Consumer<String> warn)
            throws IOException {
        if (staleMillis < 1000) {
            throw new IllegalArgumentException("the lock timeout must be at least 1 s, got " + staleMillis + " ms");
        }
        long now = System.currentTimeMillis();
        Owner me = new Owner(UUID.randomUUID().toString(), host(), ProcessHandle.current().pid(), now, now, command);
        for (int attempt = 0; attempt < 3; attempt++) {
            if (createIfAbsent(fs, file, me.bytes())) {
                return new RegistryLock(fs, file, me, Math.max(200, Math.min(60_000, staleMillis / 4)));
            }
            FileStatus st;
            try {
                st = fs.getFileStatus(file);
            } catch (FileNotFoundException gone) {
                continue; // released meanwhile
            }
            Owner holder = read(fs, file);
            now = System.currentTimeMillis();
            String stale = staleReason(holder, st, now, staleMillis, me.host());
            if (stale == null) {
                throw new RegistryLockedException("registry " + file.getParent() + " is locked by another retraining: "
                        + (holder != null ? holder.describe(now) : "its lock file is being written")
                        + " (lock file " + file + "; it counts as stale after " + staleMillis / 1000
                        + " s without a heartbeat, or once its process on that host is gone)");
            }
            if (removeStale(fs, file, holder)) {
                warn.accept("removed the stale registry lock " + file + ": " + stale);
            }
        }
        throw new RegistryLockedException("registry " + file.getParent() + ": could not take the lock " + file
                + " after removing a stale one: other runs are starting at the same time");
    }

    /** Null when the lock is live, else why it is stale. */
    static String staleReason(Owner holder, FileStatus st, long now, long staleMillis, String host) {
        long beat = Math.max(st.getModificationTime(), holder != null ? holder.heartbeat() : 0);
        if (now - beat > staleMillis) {
            return (holder != null ? holder.describe(now) : "an unreadable lock file, " + (now - beat) / 1000 + " s old")
                    + ", more than the " + staleMillis / 1000 + " s timeout";
        }
        if (holder != null && holder.host().equals(host) && ProcessHandle.current().pid() != holder.pid()
                && !ProcessHandle.of(holder.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            return "its process " + holder.pid() + " on this host is gone";
        }
        return null;
    }

    /** Moves the stale lock aside and deletes it; false when another run took it over first (it is put back). */
    private static boolean removeStale(FileSystem fs, Path file, Owner judged) throws IOException {
        Path aside = new Path(file.getParent(), "." + file.getName() + ".stale-" + Folders.random());
        if (!fs.rename(file, aside)) {
            return false;
        }
        Owner moved = read(fs, aside);
        boolean same = judged == null ? moved == null : moved != null && judged.token().equals(moved.token());
        if (!same && !fs.exists(file)) { // a fresh lock replaced the stale one between our look and the move
            fs.rename(aside, file);
            return false;
        }
        fs.delete(aside, false);
        return same;
    }

    private static boolean createIfAbsent(FileSystem fs, Path file, byte[] bytes) throws IOException {
        FileSystem raw = Folders.raw(fs);
        if (raw instanceof RawLocalFileSystem local) {
            try {
                java.nio.file.Path p = local.pathToFile(file).toPath();
                java.nio.file.Files.createDirectories(p.getParent());
                java.nio.file.Files.write(p, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream out = raw.create(file, false)) {
            out.write(bytes);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (raw.exists(file)) { // some file systems report an existing file otherwise
                return false;
            }
            throw e;
        }
    }

    static Owner read(FileSystem fs, Path file) throws IOException {
        try (InputStream in = Folders.raw(fs).open(file)) {
            return Owner.parse(in.readNBytes(64 * 1024));
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    private void beat() {
        try {
            Owner now = read(fs, file);
            if (now == null || !now.token().equals(owner.token())) {
                lost = now == null ? "the lock file " + file + " is gone" : "the lock " + file + " is now held by "
                        + now.describe(System.currentTimeMillis());
                beats.shutdown();
                return;
            }
            Owner next = owner.beat(System.currentTimeMillis());
            Folders.writeFile(fs, file, next.bytes());
            owner = next;
        } catch (IOException | RuntimeException e) {
            // a missed beat is retried at the next; only the timeout makes the lock stale
        }
    }

    /** Fails when the lock is no longer ours (taken over as stale, or deleted): nothing may be published then. */
    public void verify() throws IOException {
        Owner now = read(fs, file);
        if (lost == null && (now == null || !now.token().equals(owner.token()))) {
            lost = now == null ? "the lock file " + file + " is gone" : "the lock " + file + " is now held by "
                    + now.describe(System.currentTimeMillis());
        }
        if (lost != null) {
            throw new RegistryLockedException("lost the registry lock while retraining (" + lost + "): nothing was"
                    + " published; raise --lock-timeout if the run was only slow");
        }
    }

    public Owner owner() {
        return owner;
    }

    /** Stops the heartbeat and deletes the lock file if it is still ours. */
    @Override
    public void close() throws IOException {
        beats.shutdownNow();
        try {
            beats.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Owner now = read(fs, file);
        if (now != null && now.token().equals(owner.token())) {
            Folders.raw(fs).delete(file, false);
        }
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h != null && !h.isEmpty() ? h : "unknown";
        }
    }
}
