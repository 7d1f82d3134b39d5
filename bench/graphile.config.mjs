// PostGraphile 5, the benchmark's peer: the default (Amber) preset over the portal's public
// schema, in production mode (no explain, no GraphiQL), on the same database as portal-api.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  // Conditions on unindexed columns too (the page filters sub-accounts by type, as ours does
  // with its own index on the main account only).
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PG_POOL_MAX || 16) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT || 15678),
    graphiql: false,
  },
  grafast: { explain: false },
};
