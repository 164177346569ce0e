package dev.freshet.compat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A server of this checkout (Freshet, or dynalite from its node_modules) run as a child process for
 * the tests: started on a loopback port, its output copied to target/servers/, stopped and its temp
 * directory removed on close.
 */
final class ServerProcess implements AutoCloseable {
  private static final long START_TIMEOUT_SECONDS = 60;

  private final Process process;
  private final URI endpoint;
  /** Removed on close; null when the caller keeps the data directory. */
  private final Path tempDir;
  private final Path dataDir;

  private ServerProcess(Process process, URI endpoint, Path tempDir, Path dataDir) {
    this.process = process;
    this.endpoint = endpoint;
    this.tempDir = tempDir;
    this.dataDir = dataDir;
  }

  /** The root of the checkout (the pom passes it; the working directory is compat/ otherwise). */
  static Path root() {
    return Path.of(System.getProperty("freshet.root", "..")).toAbsolutePath().normalize();
  }

  /**
   * Freshet with every status transition immediate, on a free port, with a fresh data directory.
   * Extra arguments follow (and so override) the defaults.
   */
  static ServerProcess freshet(String name, String... extraArgs) throws IOException {
    Path dir = Files.createTempDirectory("freshet-compat-");
    return freshet(name, dir, dir.resolve("data"), Map.of(), extraArgs);
  }

  /**
   * Freshet over a data directory the caller keeps (to start another over it later), with these
   * environment variables added.
   */
  static ServerProcess freshet(String name, Path dataDir, Map<String, String> env, String... extraArgs)
      throws IOException {
    return freshet(name, null, dataDir, env, extraArgs);
  }

  private static ServerProcess freshet(String name, Path ownDir, Path dataDir, Map<String, String> env,
      String... extraArgs) throws IOException {
    Path bin = root().resolve("packages/server/bin/freshet.js");
    Path dist = root().resolve("packages/server/dist");
    if (!Files.isDirectory(dist)) {
      throw new IllegalStateException("Freshet is not built: run `npm run build` in " + root() + " first");
    }
    List<String> command = new ArrayList<>(List.of("node", bin.toString(), "serve", "--port", "0", "--data-dir",
        dataDir.toString(), "--fsync", "never", "--create-stream-ms", "0", "--delete-stream-ms", "0",
        "--update-stream-ms", "0", "--register-consumer-ms", "0", "--deregister-consumer-ms", "0"));
    command.addAll(List.of(extraArgs));
    return start(name, command, env, ownDir, dataDir, line -> line.startsWith("Freshet listening on ")
        ? URI.create(line.substring("Freshet listening on ".length()).split(" ")[0])
        : null);
  }

  /** dynalite (an in-memory DynamoDB) for the KCL's lease, worker and coordinator tables. */
  static ServerProcess dynalite(String name) throws IOException {
    Path cli = root().resolve("node_modules/dynalite/cli.js");
    if (!Files.isRegularFile(cli)) {
      throw new IllegalStateException("dynalite is not installed: run `npm ci` in " + root() + " first");
    }
    int port = freePort();
    Path dir = Files.createTempDirectory("dynalite-compat-");
    List<String> command = List.of("node", cli.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0");
    return start(name, command, Map.of(), dir, dir,
        line -> line.startsWith("Dynalite listening at") ? URI.create("http://127.0.0.1:" + port) : null);
  }

  /** A loopback port that was free a moment ago (for servers that cannot pick their own). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static ServerProcess start(String name, List<String> command, Map<String, String> env, Path ownDir,
      Path dataDir, Function<String, URI> readEndpoint) throws IOException {
    Path log = logFile(name);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    CompletableFuture<URI> endpoint = new CompletableFuture<>();
    Thread reader = new Thread(() -> copyOutput(process, log, readEndpoint, endpoint), name + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ServerProcess(process, endpoint.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS), ownDir, dataDir);
    } catch (TimeoutException | java.util.concurrent.ExecutionException | InterruptedException e) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " did not say where it listens within " + START_TIMEOUT_SECONDS
          + " s (" + String.join(" ", command) + "); its output is in " + log, e);
    }
  }

  private static void copyOutput(Process process, Path log, Function<String, URI> readEndpoint,
      CompletableFuture<URI> endpoint) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
      for (String line; (line = in.readLine()) != null;) {
        out.println(line);
        if (!endpoint.isDone()) {
          URI uri = readEndpoint.apply(line);
          if (uri != null) endpoint.complete(uri);
        }
      }
    } catch (IOException e) {
      endpoint.completeExceptionally(e);
    }
    endpoint.completeExceptionally(new IllegalStateException("its output ended (the process exited)"));
  }

  static Path logFile(String name) throws IOException {
    Path dir = Path.of("target", "servers").toAbsolutePath();
    Files.createDirectories(dir);
    return dir.resolve(name + ".log");
  }

  URI endpoint() {
    return endpoint;
  }

  /** Freshet's data directory (its --tls auto certificate is tls/cert.pem in it). */
  Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (tempDir == null) return;
    try (Stream<Path> files = Files.walk(tempDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}
