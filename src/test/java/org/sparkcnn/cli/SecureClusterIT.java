package org.sparkcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md, 7: the training job runs unchanged on the standalone cluster of
 * jobs/cluster.sh with authentication (a shared secret), RPC encryption (TLS 1.3 with AES-GCM
 * only) and I/O encryption, all from one properties file the master, the workers and spark-submit
 * load; it trains the weights of an unsecured local[2] run; neither the secret nor the key store's
 * password is in any log, the run folder or any process's command line; and an application without
 * the secret, or with a wrong one, is refused with one error line.
 */
class SecureClusterIT {
    private static final Path ROOT = Submits.ROOT;
    private static final List<String> GCM = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256");
    @TempDir
    Path dir;

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A file only its owner can read, as a secret's file must be (jobs/cluster.sh refuses others). */
    private static Path ownerOnly(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** The secured cluster's settings (docs/cluster.md, "A secured cluster"), with spark.logConf to prove the secret redacted. */
    private static String secureConf(String secret, Path keyStore, String password) {
        return String.join("\n", "spark.authenticate true", "spark.authenticate.secret " + secret,
                "spark.ssl.rpc.enabled true", "spark.ssl.rpc.protocol TLSv1.3",
                "spark.ssl.rpc.enabledAlgorithms " + String.join(",", GCM),
                "spark.ssl.rpc.keyStore " + keyStore, "spark.ssl.rpc.keyStoreType PKCS12",
                "spark.ssl.rpc.keyStorePassword " + password, "spark.ssl.rpc.keyPassword " + password,
                "spark.ssl.rpc.trustStore " + keyStore, "spark.ssl.rpc.trustStoreType PKCS12",
                "spark.ssl.rpc.trustStorePassword " + password, "spark.io.encryption.enabled true",
                "spark.logConf true", "");
    }

    private static float[][] weights(Path run) throws IOException {
        org.sparkcnn.model.Network net = org.sparkcnn.io.ModelFile.read(run.resolve("model/model.bin")).network();
        return new float[][] {net.parameterArray(), net.bufferArray()};
    }

    /** Every file under {@code root} whose bytes contain one of {@code secrets}. */
    private static List<String> filesHolding(Path root, List<String> secrets) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                secrets.stream().filter(text::contains).findAny().ifPresent(s -> found.add(f.toString()));
            }
        }
        return found;
    }

    /** The command lines of this test's processes (they name its folder), read from /proc until stopped. */
    private static Thread watchCommandLines(String mark, Map<Long, String> seen, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                    for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                        try {
                            String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                                    .replace('\0', ' ');
                            if (cmd.contains(mark)) {
                                seen.putIfAbsent(Long.parseLong(p.getFileName().toString()), cmd);
                            }
                        } catch (IOException gone) {
                            // the process ended meanwhile
                        }
                    }
                    Thread.sleep(100);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        }, "cmdline-watch");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aSecuredClusterTrainsTheUnsecuredWeightsLeaksNoSecretAndRefusesOthers() throws Exception {
        Path bin = Submits.fakeSparkSubmit(dir);
        String secret = random(32), password = random(16);
        Path keyStore = dir.resolve("rpc.p12");
        ProcessBuilder keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "spark", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                "-storepass:env", "STOREPASS", "-keypass:env", "STOREPASS").redirectErrorStream(true)
                .redirectOutput(dir.resolve("keytool.txt").toFile());
        keytool.environment().put("STOREPASS", password);
        Process k = keytool.start();
        assertTrue(k.waitFor(120, TimeUnit.SECONDS) && k.exitValue() == 0, Files.readString(dir.resolve("keytool.txt")));
        Files.setPosixFilePermissions(keyStore, PosixFilePermissions.fromString("rw-------"));
        Path secure = ownerOnly(dir.resolve("secure.conf"), secureConf(secret, keyStore, password));
        Path wrong = ownerOnly(dir.resolve("wrong.conf"), secureConf(random(32), keyStore, password));

        Path[] tr = JobRuns.fashionIdx(dir.resolve("idx"), "train", 160);
        String train = dir.resolve("train").toString();
        assertEquals(0, Submits.script(dir, bin, true, Map.of(), "import.sh", "idx", "--images", tr[0].toString(), "--labels",
                tr[1].toString(), "--out", train, "--files", "3", "--master", "local[2]").code());

        String cluster = dir.resolve("cluster").toString();
        // a secret others may read is refused before anything starts
        Path readable = dir.resolve("readable.conf");
        Files.writeString(readable, Files.readString(secure));
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        JobScriptsTest.Run refusedFile = Submits.script(dir, bin, true, Map.of(), "cluster.sh", "start", "--dir", cluster,
                "--properties-file", readable.toString());
        assertEquals(2, refusedFile.code(), refusedFile.toString());
        assertEquals(List.of("error: --properties-file " + readable + " holds spark.authenticate.secret but others may read"
                + " it (chmod 600 " + readable + ")"), refusedFile.err(), refusedFile.toString());
        assertTrue(Files.notExists(Path.of(cluster, "master.pid")), "nothing started");

        Map<Long, String> commandLines = new ConcurrentHashMap<>();
        AtomicBoolean stopWatching = new AtomicBoolean();
        Thread watch = watchCommandLines(dir.toString(), commandLines, stopWatching);
        JobScriptsTest.Run started = Submits.script(dir, bin, true, Map.of(), "cluster.sh", "start", "--dir", cluster,
                "--properties-file", secure.toString());
        assertEquals(0, started.code(), started.toString());
        String url = started.out().get(started.out().size() - 1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            // the master speaks TLS 1.3 with an AES-GCM suite, trusted through the cluster's own store
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                store.load(in, password.toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext tls = SSLContext.getInstance("TLSv1.3");
            tls.init(null, tmf.getTrustManagers(), null);
            int port = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.startHandshake();
                assertEquals("TLSv1.3", s.getSession().getProtocol());
                assertTrue(GCM.contains(s.getSession().getCipherSuite()), s.getSession().getCipherSuite());
            }

            String[] common = {"--config", ROOT.resolve("conf/train.properties").toString(), "--set", "train=" + train,
                "--set", "validation=", "--set", "epochs=2", "--set", "partitions=2", "--set", "batchSize=16",
                "--set", "syncEvery=2"};
            String submit = "--master " + url + " --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1"
                    + " --executor-memory 800m";
            Future<JobScriptsTest.Run> secured = pool.submit(() -> Submits.script(dir, bin, false,
                    Map.of("SPARK_SUBMIT_ARGS", submit + " --properties-file " + secure), "train.sh",
                    with(common, "output=" + dir.resolve("run-secure"), "master=")));
            // the refused ones wait out the driver's registration attempts (3 x 20 s) meanwhile
            Future<JobScriptsTest.Run> noSecret = pool.submit(() -> Submits.script(dir, bin, false,
                    Map.of("SPARK_SUBMIT_ARGS", submit), "train.sh", with(common, "output=" + dir.resolve("run-none"), "master=")));
            Future<JobScriptsTest.Run> wrongSecret = pool.submit(() -> Submits.script(dir, bin, false,
                    Map.of("SPARK_SUBMIT_ARGS", submit + " --properties-file " + wrong), "train.sh",
                    with(common, "output=" + dir.resolve("run-wrong"), "master=")));
            JobScriptsTest.Run authNoSecret = Submits.script(dir, bin, false,
                    Map.of("SPARK_SUBMIT_ARGS", submit + " --conf spark.authenticate=true"), "train.sh",
                    with(common, "output=" + dir.resolve("run-nosecret"), "master="));
            assertEquals(2, authNoSecret.code(), authNoSecret.toString());
            assertEquals(List.of("error: requirement failed: A secret key must be specified via the spark.authenticate.secret"
                    + " config."), errorLines(authNoSecret), authNoSecret.toString());
            for (JobScriptsTest.Run refused : List.of(noSecret.get(), wrongSecret.get())) {
                assertEquals(1, refused.code(), refused.toString());
                List<String> errors = errorLines(refused);
                assertEquals(1, errors.size(), refused.toString());
                assertTrue(errors.get(0).startsWith("error: the master " + url + " did not register this application"),
                        refused.toString());
            }
            JobScriptsTest.Run c = secured.get();
            assertEquals(0, c.code(), c.toString());
            String masterLog = Files.readString(Path.of(cluster, "master.log"));
            assertEquals(1, masterLog.split("Registering app sparkcnn-train", -1).length - 1,
                    "the master registered the secured application only: " + masterLog);

            JobScriptsTest.Run l = Submits.script(dir, bin, true, Map.of(), "train.sh",
                    with(common, "output=" + dir.resolve("run-local"), "master=local[2]"));
            assertEquals(0, l.code(), l.toString());
            float[][] a = weights(dir.resolve("run-secure")), b = weights(dir.resolve("run-local"));
            assertArrayEquals(b[0], a[0], "a secured cluster trains the parameters of unsecured local[2]");
            assertArrayEquals(b[1], a[1], "and the buffers");

            // the settings took effect on the driver, and Spark logged them with the secret redacted
            String driverLog;
            try (Stream<Path> logs = Files.list(dir.resolve("run-secure/logs"))) {
                driverLog = Files.readString(logs.findFirst().orElseThrow());
            }
            assertTrue(driverLog.contains("spark.io.encryption.enabled=true") && driverLog.contains("spark.authenticate=true")
                    && driverLog.contains("spark.ssl.rpc.enabled=true"), driverLog);
            assertTrue(driverLog.contains("spark.authenticate.secret=*********(redacted)"), driverLog);
        } finally {
            pool.shutdownNow();
            JobScriptsTest.Run stopped = Submits.script(dir, bin, true, Map.of(), "cluster.sh", "stop", "--dir", cluster);
            assertEquals(0, stopped.code(), stopped.toString());
            stopWatching.set(true);
            watch.join(10_000);
        }
        List<String> secrets = List.of(secret, password);
        // logs of master, workers and executors (work-N/APP/N/stderr), every run folder, the consoles
        List<String> leaks = new ArrayList<>(filesHolding(Path.of(cluster), secrets));
        for (String run : List.of("run-secure", "run-none", "run-wrong", "run-nosecret")) {
            if (Files.exists(dir.resolve(run))) {
                leaks.addAll(filesHolding(dir.resolve(run), secrets));
            }
        }
        try (Stream<Path> consoles = Files.list(dir)) {
            for (Path f : consoles.filter(f -> f.getFileName().toString().matches("(out|err).*\\.txt")).toList()) {
                leaks.addAll(filesHolding(f, secrets));
            }
        }
        assertEquals(List.of(), leaks, "files holding the secret or the key store's password");
        String all = String.join("\n", commandLines.values());
        for (String process : List.of("deploy.master.Master", "deploy.worker.Worker", "deploy.SparkSubmit",
                "CoarseGrainedExecutorBackend")) {
            assertTrue(all.contains(process), "the watch saw the " + process + " process: " + commandLines.keySet());
        }
        assertTrue(secrets.stream().noneMatch(all::contains), "a secret on a process's command line");
        assertTrue(all.contains("-Dspark.ssl.rpc.enabledAlgorithms=" + String.join(",", GCM)),
                "the executors were started with the AES-GCM suites only");
    }

    private static String[] with(String[] common, String... sets) {
        List<String> args = new ArrayList<>(List.of(common));
        for (String s : sets) {
            args.addAll(List.of("--set", s));
        }
        return args.toArray(new String[0]);
    }

    private static List<String> errorLines(JobScriptsTest.Run r) {
        return r.err().stream().filter(line -> line.startsWith("error:")).map(String::strip).toList();
    }
}
