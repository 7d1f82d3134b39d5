// The benchmark's peer as PostGraphile's documentation runs it in production: one Node
// worker per core (Node's cluster module: the workers share the listening port and the
// primary hands connections round robin), each running PostGraphile with
// graphile.config.mjs. PEER_WORKERS overrides the count (1: a single process).
import cluster from "node:cluster";
import { availableParallelism } from "node:os";

const workers = Number(process.env.PEER_WORKERS || availableParallelism());

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code) => {
    console.error(`peer worker ${worker.process.pid} exited with ${code}`);
    process.exit(1);
  });
} else {
  process.argv = [process.argv[0], "postgraphile", "-C", "graphile.config.mjs"];
  // By file: the package exports no subpath for its CLI.
  await import(new URL("./node_modules/postgraphile/dist/cli-run.js", import.meta.url));
}
