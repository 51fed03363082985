// The subscribe scripts' common end: subscribe through an Apollo Client, print the first
// COUNT results as one JSON array, and exit (0 once COUNT arrived, 1 otherwise).
import { gql } from "@apollo/client/core/index.js";

export function printResults(client, query, variablesJson, count, dispose) {
  const results = [];
  const finish = async (code) => {
    await dispose();
    process.stdout.write(JSON.stringify(results));
    process.exit(code);
  };
  const subscription = client
    .subscribe({ query: gql(query), variables: JSON.parse(variablesJson) })
    .subscribe({
      next: (result) => {
        results.push(result.errors ? { errors: result.errors } : { data: result.data });
        if (results.length >= count) {
          subscription.unsubscribe();
          finish(0);
        }
      },
      error: (error) => {
        results.push({ error: String(error?.message ?? error) });
        finish(1);
      },
      complete: () => finish(results.length >= count ? 0 : 1),
    });
}
