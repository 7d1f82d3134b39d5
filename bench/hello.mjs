// The plain HTTP floor: Node's cluster (one worker per core, as the peer runs) answering
// every POST with a fixed small JSON body, nothing parsed, nothing asked of a database.
import cluster from "node:cluster";
import http from "node:http";
import { availableParallelism } from "node:os";

if (cluster.isPrimary) {
  for (let i = 0; i < availableParallelism(); i++) cluster.fork();
} else {
  const body = '{"data":{"__typename":"Query"}}';
  http
    .createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      });
    })
    .listen(Number(process.env.PORT));
}
