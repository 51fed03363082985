// Runs Apollo Federation composition (@apollo/composition, the same library
// Rover and GraphOS use) on subgraph SDL files and reports the outcome as JSON.
//
// Usage: node compose.mjs NAME=PATH.graphql [NAME=PATH.graphql ...]
//
// Stdout carries exactly one JSON object:
//   {"errors": [{"message", "code"}], "hints": [{"message", "code"}],
//    "supergraphSdl": string|null, "apiSchemaSdl": string|null}
// Exit status: 0 composition succeeded, 1 composition reported errors,
//              2 usage, IO or internal failure (message on stderr, nothing on stdout).
//
// It is driven by tests/support/apollo.py; keep the JSON shape in step with it.

import { readFile } from "node:fs/promises";

const EXIT_OK = 0;
const EXIT_COMPOSITION_ERRORS = 1;
const EXIT_USAGE = 2;

function fail(message) {
  process.stderr.write(`compose.mjs: ${message}\n`);
  process.exitCode = EXIT_USAGE;
}

// Set the exit code and let Node exit on its own rather than calling
// process.exit(): a supergraph is tens of kilobytes, and process.exit() may cut
// off a pipe write to the parent process before it is flushed.
function emit(result, exitCode) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = exitCode;
}

function parseArgs(argv) {
  if (argv.length === 0) {
    throw new Error("usage: node compose.mjs NAME=PATH.graphql [NAME=PATH.graphql ...]");
  }
  const seen = new Set();
  return argv.map((arg) => {
    // Split on the first "=" only: names cannot contain one, paths may.
    const eq = arg.indexOf("=");
    if (eq <= 0 || eq === arg.length - 1) {
      throw new Error(`expected NAME=PATH, got ${JSON.stringify(arg)}`);
    }
    const name = arg.slice(0, eq);
    if (seen.has(name)) {
      throw new Error(`subgraph ${JSON.stringify(name)} given twice`);
    }
    seen.add(name);
    return { name, path: arg.slice(eq + 1) };
  });
}

// Composition errors and hints in one shape. Errors are graphql-js
// GraphQLErrors whose Apollo code (e.g. INVALID_FIELD_SHARING) sits in
// extensions.code; hints are CompositionHint objects with definition.code.
function describeError(error) {
  return { message: error.message, code: error.extensions?.code ?? null };
}

function describeHint(hint) {
  return { message: hint.message, code: hint.definition?.code ?? null };
}

async function main() {
  let specs;
  try {
    specs = parseArgs(process.argv.slice(2));
  } catch (error) {
    fail(error.message);
    return;
  }

  // Imported dynamically so that a missing `npm ci` is reported as a usage
  // failure (exit 2) instead of a module-resolution crash with exit 1, which
  // would be mistaken for "composition reported errors".
  let composeServices, parse, printSchema;
  try {
    ({ composeServices } = await import("@apollo/composition"));
    ({ parse, printSchema } = await import("graphql"));
  } catch (error) {
    fail(`cannot load @apollo/composition or graphql (run \`npm ci\` in tools/apollo): ${error.message}`);
    return;
  }

  const services = [];
  const parseErrors = [];
  for (const { name, path } of specs) {
    let text;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      fail(`cannot read SDL for subgraph ${JSON.stringify(name)}: ${error.message}`);
      return;
    }
    // A syntax error is a fault in the subgraph, not in how we were called, so
    // it is reported like any composition error, under the code Apollo itself
    // uses for unparsable subgraph SDL.
    try {
      services.push({
        name,
        url: `http://${name}.invalid/graphql`, // required by composition, never contacted
        typeDefs: parse(text),
      });
    } catch (error) {
      parseErrors.push({
        message: `[${name}] ${error.message}`,
        code: "INVALID_GRAPHQL",
      });
    }
  }
  if (parseErrors.length > 0) {
    emit(
      { errors: parseErrors, hints: [], supergraphSdl: null, apiSchemaSdl: null },
      EXIT_COMPOSITION_ERRORS,
    );
    return;
  }

  const result = composeServices(services);
  if (result.errors) {
    emit(
      {
        errors: result.errors.map(describeError),
        hints: [],
        supergraphSdl: null,
        apiSchemaSdl: null,
      },
      EXIT_COMPOSITION_ERRORS,
    );
    return;
  }

  // result.schema is a federation-internals Schema, not a graphql-js one:
  // toAPISchema() strips the join/link machinery and @inaccessible elements,
  // and toGraphQLJSSchema() converts it so graphql's printSchema can print
  // what clients of the router would see.
  const apiSchemaSdl = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  emit(
    {
      errors: [],
      hints: result.hints.map(describeHint),
      supergraphSdl: result.supergraphSdl,
      apiSchemaSdl,
    },
    EXIT_OK,
  );
}

try {
  await main();
} catch (error) {
  // A throw from composition itself is a bug or an unexpected input shape;
  // keep it apart from ordinary composition errors.
  fail(`internal error: ${error?.stack ?? error}`);
}
